#ifndef TQ_CUMSUM_H
#define TQ_CUMSUM_H

#include <stdint.h>

typedef struct {
    int32_t before, depth, after;      /* the tensor as [before, axis, after] */
    int32_t exclusive, reverse;
    int32_t input_offset;              /* -zp */
    int32_t input_mult, input_shift;   /* 1/2, smaller than one (inputs shifted left by 20) */
    int32_t output_mult, output_shift; /* 2 scale / (2^20 out scale) */
    int32_t output_offset, act_min, act_max;
} tq_cumsum_params;

/* CUMSUM, int8 along one axis (TFLM's reference CumSum): each element (x - zp) << 20 rescaled
 * and accumulated from a start that is the rescaled offset (TFLM's quirk), each running sum
 * requantized. exclusive: the sum before the element; reverse: from the axis' end. in and out
 * must not overlap. */
void tq_cumsum_s8(const tq_cumsum_params *p, const int8_t *in, int8_t *out);

#endif
