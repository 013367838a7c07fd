#ifndef TQ_RESIZE_NEAREST_NEIGHBOR_H
#define TQ_RESIZE_NEAREST_NEIGHBOR_H

#include <stdint.h>

typedef struct {
    int32_t batches, in_h, in_w, depth, out_h, out_w;
    const int32_t *src_y;   /* input row of each output row, computed at generation time */
    const int32_t *src_x;   /* input column of each output column */
} tq_resize_nn_params;

/* RESIZE_NEAREST_NEIGHBOR, int8 NHWC: copies the nearest input pixel's channels. */
void tq_resize_nearest_neighbor_s8(const tq_resize_nn_params *p, const int8_t *in, int8_t *out);

#endif
