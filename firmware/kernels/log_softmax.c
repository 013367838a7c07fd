#include "log_softmax.h"

#include "tq_common.h"
#include "tq_fixedpoint.h"

/* a + b saturated to int32 */
static int32_t sat_add(int32_t a, int32_t b)
{
    const int64_t s = (int64_t)a + (int64_t)b;
    return (int32_t)(s > INT32_MAX ? INT32_MAX : (s < INT32_MIN ? INT32_MIN : s));
}

static int32_t wrap_add(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a + (uint32_t)b);
}

/* log(x) for x >= 1: x with 12 integer bits, the result with 5 (gemmlowp's
 * log_x_for_x_greater_than_or_equal_to_1_impl<5, 12>; the accumulation has 6 integer bits). */
static int32_t log_q12_to_q5(int32_t x)
{
    enum { IN_BITS = 12, ACC_BITS = 6 };
    const int32_t log_2 = 1488522236, sqrt_sqrt_half = 1805811301, sqrt_half = 1518500250;
    const int32_t alpha_n = 117049297, alpha_d = 127690142, alpha_i = 1057819769, alpha_f = 638450708;
    const int32_t shifted_quarter = tq_rounding_divide_by_pot(536870912, ACC_BITS);

    const int za_hr1 = tq_clz32((uint32_t)x);
    const int32_t ra_tmp = tq_fp_sat_shl(x, za_hr1 - 1);
    const int32_t ra = tq_fp_sat_shl(tq_fp_mul(ra_tmp, sqrt_half), 1);
    const int32_t za_adj = sat_add(tq_fp_sat_shl(IN_BITS - za_hr1, 31 - ACC_BITS), shifted_quarter);

    const int32_t zb = tq_fp_mul(x, sqrt_half);
    const int zb_hr = tq_clz32((uint32_t)zb) - 1;
    const int32_t rb = tq_fp_sat_shl(x, zb_hr);
    const int32_t zb_adj = sat_add(tq_fp_sat_shl(IN_BITS - zb_hr, 31 - ACC_BITS), -shifted_quarter);

    const int32_t r = ra < rb ? ra : rb;
    const int32_t z_pow_2_adj = za_adj > zb_adj ? za_adj : zb_adj;
    const int32_t pp = tq_fp_rounding_half_sum(r, sqrt_sqrt_half);
    int32_t q = wrap_add(r, -sqrt_sqrt_half);
    q = wrap_add(q, q);
    const int32_t common_sq = tq_fp_mul(q, q);
    const int32_t num = wrap_add(tq_fp_mul(q, r), tq_fp_mul(tq_fp_mul(q, common_sq), alpha_n));
    const int32_t denom_minus_one = wrap_add(
        tq_fp_mul(pp, wrap_add(wrap_add(alpha_i, q), tq_fp_mul(alpha_d, common_sq))), tq_fp_mul(alpha_f, q));
    const int32_t recip_denom = tq_fp_one_over_one_plus_x(denom_minus_one);
    const int32_t num_scaled = tq_rounding_divide_by_pot(num, ACC_BITS);
    const int32_t acc = wrap_add(tq_fp_mul(z_pow_2_adj, log_2), tq_fp_mul(num_scaled, recip_denom));
    return tq_fp_sat_shl(acc, ACC_BITS - 5);
}

void tq_log_softmax_s8(const tq_log_softmax_params *p, const int8_t *in, int8_t *out)
{
    const int32_t depth = p->depth, mult = p->input_multiplier, shift = p->input_left_shift;
    for (int32_t row = 0; row < p->outer; ++row, in += depth, out += depth) {
        int32_t max = INT8_MIN;
        for (int32_t c = 0; c < depth; ++c) {
            max = in[c] > max ? in[c] : max;
        }
        int32_t sum_q12 = 0;
        for (int32_t c = 0; c < depth; ++c) {
            const int32_t diff = in[c] - max;
            if (diff >= p->diff_min) {
                const int32_t d5 = tq_requantize(diff, mult, (int)shift);
                sum_q12 = wrap_add(sum_q12, tq_rounding_divide_by_pot(tq_fp_exp_neg(d5, 5), 12));
            }
        }
        const int32_t log_q5 = log_q12_to_q5(sum_q12);
        const int32_t limit = tq_requantize(wrap_add(log_q5, INT32_MIN), p->reverse_multiplier, (int)p->reverse_shift);
        const int32_t adjusted_min = TQ_MAX(p->diff_min - 1, limit);
        for (int32_t c = 0; c < depth; ++c) {
            const int32_t diff = in[c] - max;
            if (diff > adjusted_min) {
                const int32_t d5 = tq_requantize(diff, mult, (int)shift);
                const int32_t v = tq_rounding_divide_by_pot(wrap_add(d5, -log_q5), 31 - 5 - 4) + 127;
                out[c] = (int8_t)TQ_CLAMP(v, INT8_MIN, INT8_MAX);
            } else {
                out[c] = INT8_MIN;
            }
        }
    }
}
