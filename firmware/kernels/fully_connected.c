#include "fully_connected.h"

#include "tq_common.h"

void tq_fully_connected_s8(const tq_fc_params *p, const int8_t *in, const int8_t *w, int8_t *out)
{
    const int32_t *bias = p->bias;
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *x = in + b * p->in_depth;
        for (int32_t c = 0; c < p->out_depth; ++c) {
            const int8_t *wc = w + c * p->in_depth;
            int32_t acc = bias[c];
            for (int32_t d = 0; d < p->in_depth; ++d) {
                acc += (int32_t)wc[d] * (int32_t)x[d];
            }
            acc = tq_requantize(acc, p->mult[c], p->shift[c]) + p->output_offset;
            out[b * p->out_depth + c] = (int8_t)TQ_CLAMP(acc, p->act_min, p->act_max);
        }
    }
}
