#include "fully_connected_dsp8_direct.h"

#include "tq_common.h"
#include "tq_dot8.h"

void tq_fully_connected_dsp8_direct_s8(const tq_fc_dsp8_direct_params *p, const int8_t *in, const int8_t *w, int8_t *out)
{
    const int32_t *bias = p->bias;
    /* locals, not *p: stores through int8_t * would force reloads */
    const int32_t in_depth = p->in_depth, out_depth = p->out_depth;
    const int32_t zp = p->output_offset, lo = p->act_min, hi = p->act_max, exact = p->rq_exact;
    const int32_t mode = tq_rq_mode(exact, lo, hi);
    const tq_rq *rq = p->rq;
    const int8_t *scale = p->scale;
    /* a per-tensor layer's one row and scale, 4 times: what tq_rq_store4 reads for a block */
    const int32_t pt = p->per_tensor;
    const tq_rq one4[4] = {rq[0], rq[0], rq[0], rq[0]};
    const int8_t s4[4] = {scale[0], scale[0], scale[0], scale[0]};
    const int32_t groups = in_depth >> 2, body = in_depth & ~3, tail = in_depth & 3;
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *row = in + b * in_depth, *x = row + body;
        const int8_t *wp = w;
        int32_t c = 0;
        for (; c + 4 <= out_depth; c += 4) {
            int32_t s[4] = {bias[c], bias[c + 1], bias[c + 2], bias[c + 3]};
            tq_fc8_block4(row, &wp, groups, s);
            if (tail) {
                s[0] = tq_fc8_tail(&wp, x, tail, s[0]);
                s[1] = tq_fc8_tail(&wp, x, tail, s[1]);
                s[2] = tq_fc8_tail(&wp, x, tail, s[2]);
                s[3] = tq_fc8_tail(&wp, x, tail, s[3]);
            }
            /* the accumulators scaled by 2^scale[c], as the fast requantization wants */
            const int8_t *sc = pt ? s4 : scale + c;
            tq_rq_store4(pt ? one4 : rq + c, (int32_t)((uint32_t)s[0] << sc[0]), (int32_t)((uint32_t)s[1] << sc[1]),
                         (int32_t)((uint32_t)s[2] << sc[2]), (int32_t)((uint32_t)s[3] << sc[3]),
                         zp, lo, hi, mode, out);
            out += 4;
        }
        for (; c < out_depth; ++c) {
            int32_t a = tq_fc8_row1(row, &wp, groups, bias[c]);
            a = tq_fc8_tail(&wp, x, tail, a);
            a = (int32_t)((uint32_t)a << (pt ? s4 : scale + c)[0]);
            *out++ = (int8_t)tq_rq_clamp(tq_rq_apply(pt ? one4 : rq + c, a, zp, exact), lo, hi);
        }
    }
}
