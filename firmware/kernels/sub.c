#include "sub.h"

#include "tq_common.h"

void tq_sub_s8(const tq_sub_params *p, const int8_t *in1, const int8_t *in2, int8_t *out)
{
    TQ_BROADCAST_LOOP(&p->shape, {
        const int32_t a = (int32_t)((uint32_t)(in1[i1] + p->in1_offset) << p->left_shift);
        const int32_t b = (int32_t)((uint32_t)(in2[i2] + p->in2_offset) << p->left_shift);
        const int32_t diff = tq_requantize_lt1(a, p->in1_mult, p->in1_shift) -
                             tq_requantize_lt1(b, p->in2_mult, p->in2_shift);
        const int32_t r = tq_requantize_lt1(diff, p->out_mult, p->out_shift) + p->out_offset;
        out[o] = (int8_t)TQ_CLAMP(r, p->act_min, p->act_max);
    });
}

void tq_sub_s16(const tq_sub_params *p, const int16_t *in1, const int16_t *in2, int16_t *out)
{
    TQ_BROADCAST_LOOP(&p->shape, {
        const int32_t a = (int32_t)((uint32_t)(in1[i1] + p->in1_offset) << p->left_shift);
        const int32_t b = (int32_t)((uint32_t)(in2[i2] + p->in2_offset) << p->left_shift);
        const int32_t diff = tq_requantize_lt1(a, p->in1_mult, p->in1_shift) -
                             tq_requantize_lt1(b, p->in2_mult, p->in2_shift);
        const int32_t r = tq_requantize_lt1(diff, p->out_mult, p->out_shift) + p->out_offset;
        out[o] = (int16_t)TQ_CLAMP(r, p->act_min, p->act_max);
    });
}
