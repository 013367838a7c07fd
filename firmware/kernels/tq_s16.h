#ifndef TQ_S16_H
#define TQ_S16_H

/* What the 16x8 kernels (int16 activations, int8 weights, int64 bias) share. */

#include <stdint.h>

/* TFLM's MultiplyByQuantizedMultiplier(int64_t x, int32_t multiplier, int shift): the Q31
 * multiplier rounded to Q15 (0x7FFF from 0x7FFF0000 up), one 64-bit product, one rounding
 * shift by 15 - shift (half up: + 2^(total - 1), then an arithmetic shift, i.e. floor).
 * Needs |x| < 2^47 and shift in [-31, 7] (checked at generation time). */
static inline int32_t tq_requantize_s64(int64_t x, int32_t multiplier, int shift)
{
    const int64_t reduced = multiplier < 0x7FFF0000 ? (int64_t)((multiplier + (1 << 15)) >> 16) : 0x7FFF;
    const int total_shift = 15 - shift;
    const int64_t round = (int64_t)1 << (total_shift - 1);
    return (int32_t)((x * reduced + round) >> total_shift);
}

/* TFLM's MultiplyByQuantizedMultiplierSmallerThanOneExp (shift <= 0), in fewer instructions
 * than tq_requantize_lt1 and bit-identical to it: gemmlowp's doubling high multiply adds 2^30
 * (product >= 0) or 1 - 2^30 (< 0) and divides by 2^31 truncating toward zero, which in both
 * cases is floor((product + 2^30) / 2^31); the division by 2^-shift (<= 2^31) rounds half away
 * from zero with a 32-bit mask. (Kept apart from tq_common.h: the int8 DSP kernels' inline asm
 * is register-tight and sensitive to what gets inlined around it.) */
static inline int32_t tq_requantize_lt1_fast(int32_t x, int32_t multiplier, int shift)
{
    const int32_t high = (int32_t)(((int64_t)x * multiplier + ((int64_t)1 << 30)) >> 31);
    const int exponent = -shift;
    const int32_t mask = (int32_t)((1u << exponent) - 1u);
    const int32_t threshold = (mask >> 1) + (high < 0 ? 1 : 0);
    return (high >> exponent) + ((high & mask) > threshold ? 1 : 0);
}

/* sum(w[i] * x[i]) over n contiguous taps; exact: int32 partial sums over runs of at most 256
 * products (|w * x| <= 2^22, so a run stays below 2^30). */
static inline int64_t tq_dot_s16(const int8_t *w, const int16_t *x, int32_t n)
{
    int64_t acc = 0;
    while (n > 0) {
        const int32_t run = n < 256 ? n : 256;
        int32_t part = 0;
        for (int32_t i = 0; i < run; ++i) {
            part += (int32_t)w[i] * (int32_t)x[i];
        }
        acc += part;
        w += run;
        x += run;
        n -= run;
    }
    return acc;
}

#endif
