#include "add_dsp.h"

#include "tq_constants.h"

/* sum of the two tabulated halves -> int8, fast form (see tq_rq_fast) with constants in registers */
static inline int32_t rq_sum(int32_t sum, int32_t mult, int32_t add, int32_t rs)
{
    const int32_t t = tq_smmlar(sum, mult, add);
    return (t + ((t - add) >> 31)) >> rs;
}

void tq_add_dsp_s8(const tq_add_dsp_params *p, const int8_t *in1, const int8_t *in2, int8_t *out)
{
    const int32_t *l1 = p->lut1 + TQ_ADD_LUT_ZERO, *l2 = p->lut2 + TQ_ADD_LUT_ZERO;
    const tq_rq q = p->rq;
    const int32_t zp = p->zp, lo = p->act_min, hi = p->act_max;
    if (p->exact) {
        TQ_BROADCAST_LOOP(&p->shape, out[o] = (int8_t)tq_rq_clamp(tq_rq_exact(&q, l1[in1[i1]] + l2[in2[i2]], zp),
                                                                  lo, hi));
        return;
    }
    const int32_t mult = q.mult, add = q.add, rs = q.rs;
    if (!p->shape.broadcast && lo == -128 && hi == 127) {
        /* the common case: same shapes, no fused activation, saturation is the only clamp */
        const int32_t n = p->shape.count;
        for (int32_t i = 0; i < n; ++i) {
            out[i] = (int8_t)tq_rq_sat8(rq_sum(l1[in1[i]] + l2[in2[i]], mult, add, rs));
        }
        return;
    }
    TQ_BROADCAST_LOOP(&p->shape, out[o] = (int8_t)tq_rq_clamp(rq_sum(l1[in1[i1]] + l2[in2[i2]], mult, add, rs),
                                                              lo, hi));
}
