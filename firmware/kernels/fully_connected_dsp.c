#include "fully_connected_dsp.h"

#include "tq_common.h"
#include "tq_mm_dsp.h"

void tq_fully_connected_dsp_s8(const tq_fc_dsp_params *p, const int8_t *in, const int32_t *w, int8_t *out,
                               void *scratch)
{
    /* locals, not *p: stores through int8_t * would force reloads */
    const int32_t groups = p->groups, out_depth = p->out_depth, in_depth = p->in_depth;
    const int32_t zp = p->output_offset, lo = p->act_min, hi = p->act_max, exact = p->rq_exact;
    const int32_t mode = tq_rq_mode(exact, lo, hi);
    const int32_t full = out_depth & ~3;
    const tq_rq *rq = p->rq;
    const int32_t *bias = p->bias;
    int8_t *stage = (int8_t *)scratch;
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *row = in + b * in_depth;
        if (in_depth & 3) {
            /* pad the row to whole words (the spare values meet zero weights) */
            tq_mm_copy(stage, row, in_depth);
            tq_mm_fill(stage + in_depth, 0, 4 * groups - in_depth);
            row = stage;
        }
        /* each input meets every weight once: widened on the fly, no scratch */
        tq_mm_column(row, 1, w, groups, full / 4, bias, rq, zp, lo, hi, mode, out);
        out += full;
        if (full < out_depth) {
            int32_t acc[4] = {bias[full], bias[full + 1], bias[full + 2], bias[full + 3]};
            tq_mm_block4_x8(row, w + 2 * groups * full, groups, &acc[0], &acc[1], &acc[2], &acc[3]);
            for (int32_t j = 0; full + j < out_depth; ++j) {
                *out++ = (int8_t)tq_rq_clamp(tq_rq_apply(rq + full + j, acc[j], zp, exact), lo, hi);
            }
        }
    }
}
