#include "tanh.h"

#include "tq_fixedpoint.h"

/* (1 - a) / (1 + a) for a in [0, 1), 0 integer bits (Newton-Raphson, as gemmlowp). */
static int32_t one_minus_x_over_one_plus_x(int32_t a)
{
    const int32_t half_denominator = tq_fp_rounding_half_sum(a, INT32_MAX);
    int32_t x = 1515870810 + tq_fp_mul(half_denominator, -1010580540);  /* 2 integer bits */
    for (int i = 0; i < 3; ++i) {
        const int32_t one_minus = ((int32_t)1 << 29) - tq_fp_mul(half_denominator, x);
        x = x + tq_fp_sat_shl(tq_fp_mul(x, one_minus), 2);
    }
    return tq_fp_sat_shl(x - ((int32_t)1 << 29), 2);
}

void tq_tanh_s8(const tq_sigmoid_params *p, const int8_t *in, int8_t *out)
{
    for (int32_t i = 0; i < p->count; ++i) {
        const int32_t x = (int32_t)in[i] - p->input_zero_point;
        if (x <= -p->input_range_radius) {
            out[i] = -128;
        } else if (x >= p->input_range_radius) {
            out[i] = 127;
        } else {
            const int32_t q4 = tq_requantize(x, p->input_multiplier, (int)p->input_left_shift);
            int32_t r = 0;
            if (q4 != 0) {
                const int32_t neg_abs = q4 < 0 ? q4 : -q4;
                /* exp(2 * neg_abs): the same raw value read with 5 integer bits. */
                const int32_t t = one_minus_x_over_one_plus_x(tq_fp_exp_neg(neg_abs, 5));
                r = q4 < 0 ? -t : t;
            }
            out[i] = tq_sat_s8(tq_rounding_divide_by_pot(r, 24));
        }
    }
}

/* tanh(x) = 2 sigmoid(2x) - 1: the same table at twice the input resolution (entries every 2^8
 * units), the table's 1/2 subtracted, rounded to Q15. */
void tq_tanh_s16(const tq_sigmoid_s16_params *p, const int16_t *in, int16_t *out)
{
    const int32_t shift = p->input_left_shift;
    const int32_t round = shift > 0 ? (int32_t)1 << (shift - 1) : 0;
    for (int32_t i = 0; i < p->count; ++i) {
        const int32_t x = ((int32_t)in[i] * p->input_multiplier + round) >> shift;
        const uint32_t ax = (uint32_t)(x < 0 ? -x : x);
        const uint32_t hi = ax >> 8;
        int32_t r;
        if (hi >= 255) {
            r = 0xFFFF << 8;                /* saturated */
        } else {
            const uint32_t a = p->table[hi], b = p->table[hi + 1];
            r = (int32_t)((a << 8) + (ax & 0xFF) * (b - a));
        }
        r = x >= 0 ? r - (1 << 23) + (1 << 7) : -r + (1 << 23) + (1 << 7) - 1;
        out[i] = (int16_t)(r >> 8);
    }
}
