#include "fully_connected_s16.h"

#include "tq_common.h"
#include "tq_s16.h"

void tq_fully_connected_s16(const tq_fc_s16_params *p, const int16_t *in, const int8_t *w, int16_t *out)
{
    for (int32_t b = 0; b < p->batches; ++b, in += p->in_depth) {
        const int8_t *wc = w;
        for (int32_t c = 0; c < p->out_depth; ++c, wc += p->in_depth) {
            const int64_t acc = tq_dot_s16(wc, in, p->in_depth) + p->bias[c];
            const int32_t v = tq_requantize_s64(acc, p->mult[c], p->shift[c]);
            *out++ = (int16_t)TQ_CLAMP(v, p->act_min, p->act_max);
        }
    }
}
