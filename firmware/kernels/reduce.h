#ifndef TQ_REDUCE_H
#define TQ_REDUCE_H

#include <stdint.h>

#define TQ_REDUCE_MAX_DIMS 6

/* REDUCE_MAX, REDUCE_MIN and SUM over any set of axes. As for MEAN, the input's dimensions are
 * split at generation time into kept and reduced groups (sizes and element strides in the
 * input, outermost first, size-1 dimensions dropped, neighbours of one kind merged). */
typedef struct {
    int32_t out_count;
    int32_t keep_rank;
    int32_t keep_dims[TQ_REDUCE_MAX_DIMS];
    int32_t keep_strides[TQ_REDUCE_MAX_DIMS];
    int32_t red_rank;
    int32_t red_dims[TQ_REDUCE_MAX_DIMS];
    int32_t red_strides[TQ_REDUCE_MAX_DIMS];
    int32_t reduce;                        /* elements per output (product of red_dims) */
    int32_t input_zero_point, output_zero_point;
    int32_t mult, shift;                   /* SUM: input_scale / output_scale (QuantizeMultiplier) */
} tq_reduce_params;

/* REDUCE_MAX / REDUCE_MIN, int8: the largest / smallest element (TFLM requires equal input and
 * output quantization, so no requantization). */
void tq_reduce_max_s8(const tq_reduce_params *p, const int8_t *in, int8_t *out);
void tq_reduce_min_s8(const tq_reduce_params *p, const int8_t *in, int8_t *out);
/* SUM, int8 / int16 (TFLM's integer QuantizedMeanOrSum with compute_sum): requantize
 * (sum - n * zp_in), add the output zero point, saturate. The int32 sum of at most 2^16
 * int16 values cannot overflow; larger reductions are refused at generation time. */
void tq_reduce_sum_s8(const tq_reduce_params *p, const int8_t *in, int8_t *out);
void tq_reduce_sum_s16(const tq_reduce_params *p, const int16_t *in, int16_t *out);
/* REDUCE_ALL, bool (one byte each): 1 when every reduced element is non-zero. */
void tq_reduce_all_b(const tq_reduce_params *p, const uint8_t *in, uint8_t *out);

#endif
