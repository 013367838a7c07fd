#ifndef TQ_POOLING_H
#define TQ_POOLING_H

#include <stdint.h>

#include "tq_common.h"

typedef struct {
    tq_window geo;              /* in_c == out_c; no dilation */
    int32_t act_min, act_max;
    int32_t simd;   /* average: sum 4 channels at a time in 16-bit halves (SXTAB16); the
                     * generator sets it for the DSP kernels when windows hold <= 255 taps */
} tq_pool_params;

/* Average of the window's in-image taps, rounded half away from zero (TFLM's AveragePool). */
void tq_average_pool_2d_s8(const tq_pool_params *restrict p, const int8_t *in, int8_t *out);
/* Maximum of the window's in-image taps (TFLM's MaxPool). */
void tq_max_pool_2d_s8(const tq_pool_params *restrict p, const int8_t *in, int8_t *out);

#endif
