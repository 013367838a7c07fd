#ifndef TQ_SOFTMAX_H
#define TQ_SOFTMAX_H

#include <stdint.h>

typedef struct {
    int32_t outer;            /* rows */
    int32_t depth;            /* elements per row (the last axis) */
    int32_t input_multiplier; /* beta * input_scale as Q31, with input_left_shift */
    int32_t input_left_shift;
    int32_t diff_min;         /* differences below this give exactly 0 */
} tq_softmax_params;

/* int8 softmax with output scale 1/256 and zero point -128, TFLM's fixed-point reference. */
void tq_softmax_s8(const tq_softmax_params *p, const int8_t *in, int8_t *out);

#endif
