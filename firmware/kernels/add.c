#include "add.h"

void tq_add_s8(const tq_add_params *p, const int8_t *in1, const int8_t *in2, int8_t *out)
{
    TQ_BROADCAST_LOOP(&p->shape, out[o] = tq_add_one(p, in1[i1], in2[i2]));
}

void tq_add_s16(const tq_add_params *p, const int16_t *in1, const int16_t *in2, int16_t *out)
{
    TQ_BROADCAST_LOOP(&p->shape, out[o] = tq_add_one_s16(p, in1[i1], in2[i2]));
}
