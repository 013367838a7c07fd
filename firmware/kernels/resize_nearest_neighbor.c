#include "resize_nearest_neighbor.h"

#include <string.h>

void tq_resize_nearest_neighbor_s8(const tq_resize_nn_params *p, const int8_t *in, int8_t *out)
{
    const int32_t row = p->in_w * p->depth;
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *image = in + b * p->in_h * row;
        for (int32_t y = 0; y < p->out_h; ++y) {
            const int8_t *src_row = image + p->src_y[y] * row;
            for (int32_t x = 0; x < p->out_w; ++x) {
                memcpy(out, src_row + p->src_x[x] * p->depth, (size_t)p->depth);
                out += p->depth;
            }
        }
    }
}
