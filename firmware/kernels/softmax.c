#include "softmax.h"

#include "tq_fixedpoint.h"

enum { SCALED_DIFF_INT_BITS = 5, ACCUM_INT_BITS = 12 };

void tq_softmax_s8(const tq_softmax_params *p, const int8_t *in, int8_t *out)
{
    for (int32_t i = 0; i < p->outer; ++i) {
        const int8_t *x = in + i * p->depth;
        int8_t *y = out + i * p->depth;
        int32_t max_in_row = -128;
        for (int32_t c = 0; c < p->depth; ++c) {
            max_in_row = TQ_MAX(max_in_row, (int32_t)x[c]);
        }
        int32_t sum_of_exps = 0;  /* ACCUM_INT_BITS integer bits */
        for (int32_t c = 0; c < p->depth; ++c) {
            const int32_t diff = (int32_t)x[c] - max_in_row;
            if (diff >= p->diff_min) {
                const int32_t scaled = tq_requantize_gt1(diff, p->input_multiplier, (int)p->input_left_shift);
                const int32_t e = tq_fp_exp_neg(scaled, SCALED_DIFF_INT_BITS);
                sum_of_exps += tq_rounding_divide_by_pot(e, ACCUM_INT_BITS);
            }
        }
        /* 1 / sum_of_exps as a Q0.31 scale and a power-of-two exponent. */
        const int headroom_plus_one = tq_clz32((uint32_t)sum_of_exps);
        const int num_bits_over_unit = ACCUM_INT_BITS - headroom_plus_one;
        const int32_t shifted_sum_minus_one =
            (int32_t)(((uint32_t)sum_of_exps << headroom_plus_one) - ((uint32_t)1 << 31));
        const int32_t shifted_scale = tq_fp_one_over_one_plus_x(shifted_sum_minus_one);
        for (int32_t c = 0; c < p->depth; ++c) {
            const int32_t diff = (int32_t)x[c] - max_in_row;
            if (diff >= p->diff_min) {
                const int32_t scaled = tq_requantize_gt1(diff, p->input_multiplier, (int)p->input_left_shift);
                const int32_t e = tq_fp_exp_neg(scaled, SCALED_DIFF_INT_BITS);
                const int32_t unsat = tq_rounding_divide_by_pot(tq_fp_mul(shifted_scale, e),
                                                                num_bits_over_unit + 31 - 8);
                y[c] = tq_sat_s8(unsat - 128);
            } else {
                y[c] = -128;
            }
        }
    }
}
