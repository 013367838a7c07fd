#include "minimum.h"

void tq_minimum_s8(const tq_minimum_params *p, const int8_t *in1, const int8_t *in2, int8_t *out)
{
    TQ_BROADCAST_LOOP(&p->shape, out[o] = in1[i1] < in2[i2] ? in1[i1] : in2[i2]);
}
