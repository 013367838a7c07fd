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

/* x (in units of 1/(3 * 4096)) -> sigmoid(x) in Q15: entries every 2^9 units (1/24), the low 9
 * bits interpolate; the result is symmetric about 1/2 and rounded to 16 bits. */
void tq_logistic_s16(const tq_sigmoid_s16_params *p, const int16_t *in, int16_t *out)
{
    const int32_t shift = p->input_left_shift;
    const int32_t round = shift > 0 ? (int32_t)1 << (shift - 1) : 0;
    for (int32_t i = 0; i < p->count; ++i) {
        const int32_t x = ((int32_t)in[i] * p->input_multiplier + round) >> shift;
        const uint32_t ax = (uint32_t)(x < 0 ? -x : x);
        const uint32_t hi = ax >> 9;
        uint32_t r;
        if (hi >= 255) {
            r = (uint32_t)0x7FFF << 10;     /* saturated */
        } else {
            const uint32_t a = p->table[hi], b = p->table[hi + 1];
            r = (a << 9) + (ax & 0x1FF) * (b - a);
        }
        r = x >= 0 ? r + (1u << 9) : (1u << 25) - r + (1u << 9) - 1;
        out[i] = (int16_t)(r >> 10);
    }
}
