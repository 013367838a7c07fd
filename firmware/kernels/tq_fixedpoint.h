/* gemmlowp-style fixed-point math on int32 raw values, as TFLM's reference kernels use it for
 * softmax, logistic and tanh. A value with I integer bits has raw = value * 2^(31 - I). */
#ifndef TQ_FIXEDPOINT_H
#define TQ_FIXEDPOINT_H

#include <stdint.h>

#include "tq_common.h"

/* x * 2^e, saturating, for e > 0. */
static inline int32_t tq_fp_sat_shl(int32_t x, int e)
{
    const int32_t threshold = (int32_t)(((int64_t)1 << (31 - e)) - 1);
    if (x > threshold) {
        return INT32_MAX;
    }
    if (x < -threshold) {
        return INT32_MIN;
    }
    return (int32_t)((uint32_t)x << e);
}

/* Product of two fixed-point numbers: integer bits add up, raw is the doubling high mul. */
#define tq_fp_mul(a, b) tq_sat_rounding_doubling_high_mul((a), (b))

/* exp(a) for a in [-1/4, 0), a and the result with 0 integer bits. */
static inline int32_t tq_fp_exp_quarter(int32_t a)
{
    const int32_t constant_term = 1895147668;   /* exp(-1/8) */
    const int32_t one_third = 715827883;
    const int32_t x = a + (1 << 28);            /* Taylor expansion around -1/8 */
    const int32_t x2 = tq_fp_mul(x, x);
    const int32_t x3 = tq_fp_mul(x2, x);
    const int32_t x4 = tq_fp_mul(x2, x2);
    const int32_t x4_over_4 = tq_rounding_divide_by_pot(x4, 2);
    const int32_t poly = tq_rounding_divide_by_pot(tq_fp_mul(x4_over_4 + x3, one_third) + x2, 1);
    return constant_term + tq_fp_mul(constant_term, x + poly);
}

/* exp(a) for a <= 0; a has `int_bits` integer bits (1..5), the result 0 integer bits. */
static inline int32_t tq_fp_exp_neg(int32_t a, int int_bits)
{
    const int frac_bits = 31 - int_bits;
    const int32_t one_quarter = (int32_t)1 << (frac_bits - 2);
    const int32_t mask = one_quarter - 1;
    const int32_t a_mod_quarter_minus_quarter = (a & mask) - one_quarter;
    int32_t result = tq_fp_exp_quarter(tq_fp_sat_shl(a_mod_quarter_minus_quarter, int_bits));
    const int32_t remainder = a_mod_quarter_minus_quarter - a;
    /* exp(-2^k) for k = -2 .. 4, applied for every set bit of the remainder. */
    static const int32_t multipliers[7] = {1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242};
    for (int k = -2; k <= 4; ++k) {
        if (int_bits > k && (remainder & ((int32_t)1 << (frac_bits + k)))) {
            result = tq_fp_mul(result, multipliers[k + 2]);
        }
    }
    return a == 0 ? INT32_MAX : result;
}

/* (a + b) / 2 rounded away from zero, without overflow. */
static inline int32_t tq_fp_rounding_half_sum(int32_t a, int32_t b)
{
    const int64_t sum = (int64_t)a + (int64_t)b;
    return (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
}

/* 1 / (1 + a) for a in [0, 1), a and the result with 0 integer bits (Newton-Raphson). */
static inline int32_t tq_fp_one_over_one_plus_x(int32_t a)
{
    const int32_t half_denominator = tq_fp_rounding_half_sum(a, INT32_MAX);
    const int32_t c48_17 = 1515870810;      /* 48/17 with 2 integer bits */
    const int32_t cneg32_17 = -1010580540;  /* -32/17 with 2 integer bits */
    int32_t x = c48_17 + tq_fp_mul(half_denominator, cneg32_17);   /* 2 integer bits */
    for (int i = 0; i < 3; ++i) {
        const int32_t hdx = tq_fp_mul(half_denominator, x);          /* 2 integer bits */
        const int32_t one_minus = ((int32_t)1 << 29) - hdx;
        x = x + tq_fp_sat_shl(tq_fp_mul(x, one_minus), 2);           /* 4 -> 2 integer bits */
    }
    return tq_fp_sat_shl(x, 1);                                      /* x/2 with 1 -> 0 integer bits */
}

static inline int tq_clz32(uint32_t x)
{
    int n = 0;
    if (x == 0) {
        return 32;
    }
    while (!(x & 0x80000000u)) {
        x <<= 1;
        ++n;
    }
    return n;
}

#endif /* TQ_FIXEDPOINT_H */
