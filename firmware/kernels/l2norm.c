#include "l2norm.h"

#include "tq_common.h"
#include "tq_fixedpoint.h"

void tq_inv_sqrt_multiplier(int32_t x, int32_t *mult, int *shift)
{
    if (x <= 1) {
        *mult = INT32_MAX;
        *shift = 0;
        return;
    }
    int s = 11;
    while (x >= (1 << 29)) {
        x /= 4;
        ++s;
    }
    const int pairs = (tq_clz32((uint32_t)x) - 1) / 2 - 1;
    s -= pairs;
    x <<= 2 * pairs;
    /* Newton-Raphson for 1/sqrt in Q3.28, from 1 */
    const int32_t half_input = tq_rounding_divide_by_pot(x >> 1, 1);
    const int32_t half_three = (1 << 28) + (1 << 27);
    int32_t v = 1 << 28;
    for (int i = 0; i < 5; ++i) {
        const int32_t v3 = tq_fp_sat_shl(tq_fp_mul(tq_fp_mul(v, v), v), 6);
        v = tq_fp_sat_shl((int32_t)((uint32_t)tq_fp_mul(half_three, v) - (uint32_t)tq_fp_mul(half_input, v3)), 3);
    }
    v = tq_fp_mul(v, 1518500250);   /* sqrt(2) / 2 */
    if (s < 0) {
        v = (int32_t)((uint32_t)v << -s);
        s = 0;
    }
    *mult = v;
    *shift = -s;
}

void tq_l2norm_s8(const tq_l2norm_params *p, const int8_t *in, int8_t *out)
{
    const int32_t depth = p->depth, zp = p->input_zero_point;
    for (int32_t row = 0; row < p->outer; ++row, in += depth, out += depth) {
        int32_t acc = 0;
        for (int32_t c = 0; c < depth; ++c) {
            const int32_t v = in[c] - zp;
            acc += v * v;
        }
        int32_t mult;
        int shift;
        tq_inv_sqrt_multiplier(acc, &mult, &shift);
        for (int32_t c = 0; c < depth; ++c) {
            const int32_t v = tq_requantize(in[c] - zp, mult, shift + 7);
            out[c] = (int8_t)TQ_CLAMP(v, INT8_MIN, INT8_MAX);
        }
    }
}
