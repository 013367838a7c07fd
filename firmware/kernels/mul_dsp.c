#include "mul_dsp.h"

void tq_mul_dsp_s8(const tq_mul_dsp_params *p, const int8_t *in1, const int8_t *in2, int8_t *out)
{
    const tq_rq q = p->rq;
    const int32_t o1 = p->in1_offset, o2 = p->in2_offset, zp = p->zp, lo = p->act_min, hi = p->act_max;
    if (p->exact) {
        TQ_BROADCAST_LOOP(&p->shape, out[o] = (int8_t)tq_rq_clamp(
            tq_rq_exact(&q, (in1[i1] + o1) * (in2[i2] + o2), zp), lo, hi));
        return;
    }
    const int32_t fs = p->fshift;
    TQ_BROADCAST_LOOP(&p->shape, out[o] = (int8_t)tq_rq_clamp(
        tq_rq_fast(&q, (int32_t)((uint32_t)((in1[i1] + o1) * (in2[i2] + o2)) << fs)), lo, hi));
}
