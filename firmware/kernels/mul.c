#include "mul.h"

#include "tq_common.h"

void tq_mul_s8(const tq_mul_params *p, const int8_t *in1, const int8_t *in2, int8_t *out)
{
    TQ_BROADCAST_LOOP(&p->shape, {
        const int32_t prod = (in1[i1] + p->in1_offset) * (in2[i2] + p->in2_offset);
        const int32_t r = tq_requantize(prod, p->out_mult, p->out_shift) + p->out_offset;
        out[o] = (int8_t)TQ_CLAMP(r, p->act_min, p->act_max);
    });
}
