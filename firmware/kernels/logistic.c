#include "logistic.h"

#include "tq_fixedpoint.h"

enum { INPUT_INT_BITS = 4 };

void tq_logistic_s8(const tq_sigmoid_params *p, const int8_t *in, int8_t *out)
{
    for (int32_t i = 0; i < p->count; ++i) {
        const int32_t x = (int32_t)in[i] - p->input_zero_point;
        if (x <= -p->input_range_radius) {
            out[i] = -128;
        } else if (x >= p->input_range_radius) {
            out[i] = 127;
        } else {
            const int32_t q4 = tq_requantize(x, p->input_multiplier, (int)p->input_left_shift);
            int32_t r;  /* logistic(q4) with 0 integer bits */
            if (q4 == 0) {
                r = (int32_t)1 << 30;
            } else {
                const int32_t neg_abs = q4 > 0 ? -q4 : q4;
                const int32_t pos = tq_fp_one_over_one_plus_x(tq_fp_exp_neg(neg_abs, INPUT_INT_BITS));
                r = q4 > 0 ? pos : INT32_MAX - pos;
            }
            out[i] = tq_sat_s8(tq_rounding_divide_by_pot(r, 23) - 128);
        }
    }
}
