#include "div.h"

#include "tq_common.h"
#include "tq_fixedpoint.h"

static int leading_sign_bits(int32_t x)
{
    return (x >= 0 ? tq_clz32((uint32_t)x) : tq_clz32(~(uint32_t)x)) - 1;
}

static int8_t div_one(const tq_div_params *p, int32_t x, int32_t y)
{
    int32_t a = x + p->in1_offset, b = y + p->in2_offset;
    if (b < 0) {
        a = -a;
        b = -b;
    }
    if (b == 0) {
        b = 1;
    }
    /* GetReciprocal(b, 31): 1 / b as a Q0.31 value and a shift */
    const int hr1 = tq_clz32((uint32_t)b);
    const int recip_shift = 31 - hr1;
    const int32_t shifted_minus_one = (int32_t)(((uint32_t)b << hr1) - ((uint32_t)1 << 31));
    const int32_t inv = tq_fp_one_over_one_plus_x(shifted_minus_one);
    const int headroom = leading_sign_bits(a);
    const int32_t q = tq_requantize_gt1(a, inv, headroom);
    const int total = (int)p->shift - recip_shift - headroom;
    const int32_t r = (total <= 0 ? tq_requantize_lt1(q, p->mult, total) : tq_requantize(q, p->mult, total)) +
                      p->out_offset;
    return (int8_t)TQ_CLAMP(r, p->act_min, p->act_max);
}

void tq_div_s8(const tq_div_params *p, const int8_t *a, const int8_t *b, int8_t *out)
{
    TQ_BROADCAST_LOOP(&p->shape, out[o] = div_one(p, a[i1], b[i2]));
}
