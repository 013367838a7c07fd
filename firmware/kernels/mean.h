#ifndef TQ_MEAN_H
#define TQ_MEAN_H

#include <stdint.h>

#define TQ_MEAN_MAX_DIMS 6

/* MEAN over any set of axes. At generation time the input's dimensions are split into kept and
 * reduced groups (adjacent dimensions of the same kind merged, size-1 dimensions dropped); each
 * group has its sizes and element strides in the input, outermost first. */
typedef struct {
    int32_t out_count;                     /* output elements (product of keep_dims) */
    int32_t keep_rank;
    int32_t keep_dims[TQ_MEAN_MAX_DIMS];
    int32_t keep_strides[TQ_MEAN_MAX_DIMS];
    int32_t red_rank;
    int32_t red_dims[TQ_MEAN_MAX_DIMS];
    int32_t red_strides[TQ_MEAN_MAX_DIMS];
    int32_t reduce;                        /* elements per mean (product of red_dims) */
    int32_t input_zero_point, output_zero_point;
    int32_t mult, shift;                   /* input_scale / output_scale / reduce, folded */
} tq_mean_params;

/* Bit-exact with TFLM's int8 MEAN (integer QuantizedMeanOrSum): requantize (sum - n * zp_in)
 * with 1/n folded into the multiplier, then add the output zero point and saturate. */
void tq_mean_s8(const tq_mean_params *p, const int8_t *in, int8_t *out);
/* The same for int16 (TFLM's int16 MEAN is the same template; sums in int32: at most 65535
 * elements per mean, checked at generation time). */
void tq_mean_s16(const tq_mean_params *p, const int16_t *in, int16_t *out);

#endif
