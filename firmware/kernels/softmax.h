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
/* int8 in, int16 out (scale 1/65536, zero point -32768): the same arithmetic. */
void tq_softmax_s8_s16(const tq_softmax_params *p, const int8_t *in, int16_t *out);

/* int16 softmax (TFLM's SoftmaxInt16): output scale 1/32768, zero point 0. */
typedef struct {
    int32_t outer;
    int32_t depth;
    int32_t input_multiplier;     /* input_scale * beta / (10 / 65535): [-65535, 0] -> [-10, 0] */
    int32_t input_left_shift;
    const int16_t *exp_lut;       /* 513 entries: exp on [-10, 0] */
    const int16_t *one_over_one_plus_x_lut;   /* 513 entries: 1 / (1 + x) on [0, 1] */
} tq_softmax_s16_params;

/* Caches each row's exponentials in the output row: in and out must not overlap. */
void tq_softmax_s16(const tq_softmax_s16_params *p, const int16_t *in, int16_t *out);

#endif
