#include "tq_config.h"
#if TQ_SIZE_SOFTMAX
TQ_SIZE_HERE
#endif
#include "softmax.h"

#include "tq_fixedpoint.h"

enum { SCALED_DIFF_INT_BITS = 5, ACCUM_INT_BITS = 12 };

/* TFLM's int8 Softmax is a template over the output type: int8 (scale 1/256, zero point -128)
 * or int16 (scale 1/65536, zero point -32768); only the final shift and offset differ. */
#define TQ_DEFINE_SOFTMAX_S8(SUFFIX, T, SAT, BITS, LOWEST) \
void tq_softmax_##SUFFIX(const tq_softmax_params *p, const int8_t *in, T *out)                                  \
{                                                                                                               \
    for (int32_t i = 0; i < p->outer; ++i) {                                                                    \
        const int8_t *x = in + i * p->depth;                                                                    \
        T *y = out + i * p->depth;                                                                              \
        int32_t max_in_row = -128;                                                                              \
        for (int32_t c = 0; c < p->depth; ++c) {                                                                \
            max_in_row = TQ_MAX(max_in_row, (int32_t)x[c]);                                                     \
        }                                                                                                       \
        int32_t sum_of_exps = 0;  /* ACCUM_INT_BITS integer bits */                                             \
        for (int32_t c = 0; c < p->depth; ++c) {                                                                \
            const int32_t diff = (int32_t)x[c] - max_in_row;                                                    \
            if (diff >= p->diff_min) {                                                                          \
                const int32_t scaled = tq_requantize_gt1(diff, p->input_multiplier, (int)p->input_left_shift);  \
                const int32_t e = tq_fp_exp_neg(scaled, SCALED_DIFF_INT_BITS);                                  \
                sum_of_exps += tq_rounding_divide_by_pot(e, ACCUM_INT_BITS);                                    \
            }                                                                                                   \
        }                                                                                                       \
        /* 1 / sum_of_exps as a Q0.31 scale and a power-of-two exponent. */                                     \
        const int headroom_plus_one = tq_clz32((uint32_t)sum_of_exps);                                          \
        const int num_bits_over_unit = ACCUM_INT_BITS - headroom_plus_one;                                      \
        const int32_t shifted_sum_minus_one =                                                                   \
            (int32_t)(((uint32_t)sum_of_exps << headroom_plus_one) - ((uint32_t)1 << 31));                      \
        const int32_t shifted_scale = tq_fp_one_over_one_plus_x(shifted_sum_minus_one);                         \
        for (int32_t c = 0; c < p->depth; ++c) {                                                                \
            const int32_t diff = (int32_t)x[c] - max_in_row;                                                    \
            if (diff >= p->diff_min) {                                                                          \
                const int32_t scaled = tq_requantize_gt1(diff, p->input_multiplier, (int)p->input_left_shift);  \
                const int32_t e = tq_fp_exp_neg(scaled, SCALED_DIFF_INT_BITS);                                  \
                const int32_t unsat = tq_rounding_divide_by_pot(tq_fp_mul(shifted_scale, e),                    \
                                                                num_bits_over_unit + 31 - BITS);                \
                y[c] = tq_sat_##SAT(unsat + LOWEST);                                                            \
            } else {                                                                                            \
                y[c] = LOWEST;                                                                                  \
            }                                                                                                   \
        }                                                                                                       \
    }                                                                                                           \
}

TQ_DEFINE_SOFTMAX_S8(s8, int8_t, s8, 8, -128)
TQ_DEFINE_SOFTMAX_S8(s8_s16, int16_t, s16, 16, -32768)

/* TFLM's generic_int16_table_lookup: 512 segments over the int16 range, 7 bits interpolated. */
static inline int16_t lut_lookup(int16_t value, const int16_t *lut)
{
    const int32_t index = 256 + (value >> 7);
    const int32_t offset = value & 0x7F;
    const int16_t slope = (int16_t)(lut[index + 1] - lut[index]);
    const int16_t delta = (int16_t)((slope * offset + 64) >> 7);
    return (int16_t)(lut[index] + delta);
}

void tq_softmax_s16(const tq_softmax_s16_params *p, const int16_t *in, int16_t *out)
{
    for (int32_t i = 0; i < p->outer; ++i) {
        const int16_t *x = in + i * p->depth;
        int16_t *y = out + i * p->depth;
        int32_t max_in_row = -32768;
        for (int32_t c = 0; c < p->depth; ++c) {
            max_in_row = TQ_MAX(max_in_row, (int32_t)x[c]);
        }
        /* exp(x - max) in Q0.15, kept in the output row; their sum in Q16.15 */
        int32_t sum_of_exps = 0;
        for (int32_t c = 0; c < p->depth; ++c) {
            const int32_t scaled = tq_requantize((int32_t)x[c] - max_in_row, p->input_multiplier,
                                                 (int)p->input_left_shift);
            y[c] = lut_lookup((int16_t)TQ_CLAMP(scaled + 32767, -32768, 32767), p->exp_lut);
            sum_of_exps += y[c];
        }
        /* 1 / sum: the sum normalised to [1, 2) in Q1.15, minus 1, recentred, through 1/(1+x) */
        const int headroom_plus_one = tq_clz32((uint32_t)sum_of_exps);
        const int32_t shifted_sum =
            (int32_t)((((int64_t)sum_of_exps << (headroom_plus_one - 1)) + (1 << 13)) >> 14);
        const int32_t centred = TQ_CLAMP(shifted_sum - ((1 << 15) + (1 << 16)), -32768, 32767);
        const int32_t reciprocal = lut_lookup((int16_t)centred, p->one_over_one_plus_x_lut);
        const int right_shift = 31 - headroom_plus_one;
        const int64_t round = (int64_t)1 << (right_shift - 1);
        for (int32_t c = 0; c < p->depth; ++c) {
            const int32_t r = (int32_t)(((int64_t)y[c] * reciprocal + round) >> right_shift);
            y[c] = (int16_t)TQ_CLAMP(r, 0, 32767);
        }
    }
}
