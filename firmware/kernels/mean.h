#ifndef TQ_MEAN_H
#define TQ_MEAN_H

#include <stdint.h>

/* MEAN over one contiguous run of axes: the input is viewed as [outer, reduce, inner]. */
typedef struct {
    int32_t outer, reduce, inner;
    int32_t input_zero_point, output_zero_point;
    int32_t mult, shift;   /* input_scale / output_scale / reduce, folded at generation time */
} tq_mean_params;

/* TFLM's integer QuantizedMeanOrSum: requantize (sum - n * zp_in) straight to the output. */
void tq_mean_s8(const tq_mean_params *p, const int8_t *in, int8_t *out);

#endif
