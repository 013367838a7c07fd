#include "fully_connected_mve.h"

#include "tq_common.h"
#include "tq_mve.h"

void tq_fully_connected_mve_s8(const tq_fc_params *p, const int8_t *in, const int8_t *w, int8_t *out)
{
    const int32_t depth = p->in_depth, out_depth = p->out_depth;
    int32_t acc[4];
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *x = in + b * depth;
        int8_t *o = out + b * out_depth;
        for (int32_t c = 0; c < out_depth; c += 4) {
            const int32_t n = TQ_MIN(4, out_depth - c);
            for (int32_t j = 0; j < 4; ++j) {
                acc[j] = j < n ? p->bias[c + j] : 0;
            }
            if (n == 4) {
                tq_mve_dot4(x, w + c * depth, depth, depth, acc);
            } else {
                for (int32_t j = 0; j < n; ++j) {
                    acc[j] = tq_mve_dot(x, w + (c + j) * depth, depth, acc[j]);
                }
            }
            tq_mve_requant4(acc, p->mult + c, p->shift + c, n, p->output_offset, p->act_min, p->act_max, o + c);
        }
    }
}
