/* float32 AVERAGE_POOL_2D, MAX_POOL_2D, MEAN and SOFTMAX (TFLite's float reference kernels).
 *
 * Pools: NHWC, in_c == out_c; the average divides by the number of window taps inside the
 * input (padding excluded), then both clamp to [act_min, act_max]. Output pixels in raster
 * order after reading only their window (the output may trail its dying input, see
 * tinyq/ops/_window.py).
 * MEAN: the input seen as kept and reduced dimension groups (size, element stride), outermost
 * first, at most TQ_MEAN_F32_DIMS of each; out[k] = sum over the reduced index of in / count.
 * Input and output must not overlap.
 * SOFTMAX: rows of `depth` values, e^(beta (x - max)) / sum; in place allowed. */
#ifndef TQ_POOL_F32_H
#define TQ_POOL_F32_H

#include <stdint.h>

#include "tq_common.h"

#define TQ_MEAN_F32_DIMS 6

typedef struct {
    tq_window geo;
    float act_min, act_max;
} tq_pool_f32_params;

typedef struct {
    int32_t n_kept, n_red;
    int32_t kept_size[TQ_MEAN_F32_DIMS], kept_stride[TQ_MEAN_F32_DIMS];
    int32_t red_size[TQ_MEAN_F32_DIMS], red_stride[TQ_MEAN_F32_DIMS];
    float count;            /* reduced elements per output */
} tq_mean_f32_params;

typedef struct {
    int32_t rows, depth;
    float beta;
} tq_softmax_f32_params;

void tq_avg_pool_f32(const tq_pool_f32_params *p, const float *in, float *out);
void tq_max_pool_f32(const tq_pool_f32_params *p, const float *in, float *out);
void tq_mean_f32(const tq_mean_f32_params *p, const float *in, float *out);
void tq_softmax_f32(const tq_softmax_f32_params *p, const float *in, float *out);

#endif /* TQ_POOL_F32_H */
