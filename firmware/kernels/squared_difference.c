#include "squared_difference.h"

#include "tq_common.h"

static int32_t sqdiff(const tq_squared_difference_params *p, int32_t x, int32_t y, int32_t lo, int32_t hi)
{
    const int32_t a = tq_requantize_lt1((x + p->in1_offset) * (1 << p->left_shift), p->in1_mult, (int)p->in1_shift);
    const int32_t b = tq_requantize_lt1((y + p->in2_offset) * (1 << p->left_shift), p->in2_mult, (int)p->in2_shift);
    const int32_t d = a - b;
    const int32_t v = tq_requantize(d * d, p->out_mult, (int)p->out_shift) + p->out_offset;
    return TQ_CLAMP(v, lo, hi);
}

void tq_squared_difference_s8(const tq_squared_difference_params *p, const int8_t *a, const int8_t *b, int8_t *out)
{
    TQ_BROADCAST_LOOP(&p->shape, out[o] = (int8_t)sqdiff(p, a[i1], b[i2], INT8_MIN, INT8_MAX));
}

void tq_squared_difference_s16(const tq_squared_difference_params *p, const int16_t *a, const int16_t *b,
                               int16_t *out)
{
    TQ_BROADCAST_LOOP(&p->shape, out[o] = (int16_t)sqdiff(p, a[i1], b[i2], INT16_MIN, INT16_MAX));
}
