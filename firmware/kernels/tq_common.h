/* Fixed-point helpers shared by all kernels, bit-exact with TFLM's reference implementation
 * (gemmlowp-style double rounding, the TFLM default). */
#ifndef TQ_COMMON_H
#define TQ_COMMON_H

#include <stdint.h>

#include "tq_constants.h"

#define TQ_MIN(a, b) ((a) < (b) ? (a) : (b))
#define TQ_MAX(a, b) ((a) > (b) ? (a) : (b))
#define TQ_CLAMP(x, lo, hi) TQ_MIN(TQ_MAX((x), (lo)), (hi))

/* (a * b * 2) >> 32 with rounding to nearest; saturates the single overflow case. */
static inline int32_t tq_sat_rounding_doubling_high_mul(int32_t a, int32_t b)
{
    if (a == INT32_MIN && b == INT32_MIN) {
        return INT32_MAX;
    }
    int64_t ab = (int64_t)a * (int64_t)b;
    int32_t nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
    /* C division truncates toward zero, as gemmlowp relies on. */
    return (int32_t)((ab + nudge) / ((int64_t)1 << 31));
}

/* x / 2^exponent rounded to nearest, ties away from zero. */
static inline int32_t tq_rounding_divide_by_pot(int32_t x, int exponent)
{
    const int32_t mask = (int32_t)(((int64_t)1 << exponent) - 1);
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* x * multiplier * 2^shift, multiplier in Q31; TFLM's MultiplyByQuantizedMultiplier. */
static inline int32_t tq_requantize(int32_t x, int32_t multiplier, int shift)
{
    const int left = shift > 0 ? shift : 0;
    const int right = shift > 0 ? 0 : -shift;
    /* Shift through uint32 so an overflow wraps as on the device instead of being UB. */
    const int32_t shifted = (int32_t)((uint32_t)x << left);
    return tq_rounding_divide_by_pot(tq_sat_rounding_doubling_high_mul(shifted, multiplier), right);
}

/* TFLM's MultiplyByQuantizedMultiplierSmallerThanOneExp (shift <= 0). */
static inline int32_t tq_requantize_lt1(int32_t x, int32_t multiplier, int shift)
{
    return tq_rounding_divide_by_pot(tq_sat_rounding_doubling_high_mul(x, multiplier), -shift);
}

/* TFLM's MultiplyByQuantizedMultiplierGreaterThanOne (left_shift >= 0). */
static inline int32_t tq_requantize_gt1(int32_t x, int32_t multiplier, int left_shift)
{
    return tq_sat_rounding_doubling_high_mul((int32_t)((uint32_t)x << left_shift), multiplier);
}

/* The geometry of a 2-D window op (CONV_2D, DEPTHWISE_CONV_2D, the pools) over NHWC tensors, as
 * TFLite computes it: output size and the padding before the first row/column (the odd pixel of
 * SAME padding goes after the last). Set by tinyq/ops/_window.py; every value in [0, 32767],
 * strides, dilations and filter sizes >= 1. Pools and depthwise with multiplier 1 have in_c == out_c. */
typedef struct {
    int16_t batches, in_h, in_w, in_c;
    int16_t out_h, out_w, out_c;
    int16_t k_h, k_w, stride_h, stride_w, dil_h, dil_w, pad_h, pad_w;
} tq_window;

/* [*k0, *k1): the taps k < k_n of a window starting at `origin` (dilation `dil`) that fall
 * inside [0, size): the window clipped to the image once per output pixel. */
static inline void tq_tap_range(int32_t origin, int32_t dil, int32_t k_n, int32_t size, int32_t *k0, int32_t *k1)
{
    const int32_t lo = origin < 0 ? (-origin + dil - 1) / dil : 0;
    const int32_t h = size - origin <= 0 ? 0 : (size - origin + dil - 1) / dil;
    const int32_t hi = h < k_n ? h : k_n;
    *k0 = lo;
    *k1 = hi < lo ? lo : hi;
}

static inline int8_t tq_sat_s8(int32_t x)
{
    return (int8_t)TQ_CLAMP(x, -128, 127);
}

static inline int16_t tq_sat_s16(int32_t x)
{
    return (int16_t)(x < -32768 ? -32768 : (x > 32767 ? 32767 : x));
}

#endif /* TQ_COMMON_H */
