#ifndef TQ_POOLING_H
#define TQ_POOLING_H

#include <stdint.h>

#include "tq_common.h"

typedef struct {
    tq_window geo;              /* in_c == out_c; no dilation */
    /* int16: packs behind the geometry (flash per layer) */
    int16_t simd;               /* average: sum 4 channels at a time in 16-bit halves (SXTAB16);
                                 * set for the DSP kernels when windows hold <= TQ_POOL_SIMD_MAX_TAPS taps */
    int32_t act_min, act_max;   /* fused activation range, within the activation type's */
} tq_pool_params;

/* Average of the window's in-image taps, rounded half away from zero (TFLM's AveragePool). */
void tq_average_pool_2d_s8(const tq_pool_params *p, const int8_t *in, int8_t *out);
/* Maximum of the window's in-image taps (TFLM's MaxPool). */
void tq_max_pool_2d_s8(const tq_pool_params *p, const int8_t *in, int8_t *out);
/* The same for int16 activations (16x8 models; zero points 0, int32 sums). */
void tq_average_pool_2d_s16(const tq_pool_params *p, const int16_t *in, int16_t *out);
void tq_max_pool_2d_s16(const tq_pool_params *p, const int16_t *in, int16_t *out);

#endif
