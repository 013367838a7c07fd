#ifndef TQ_RELU_H
#define TQ_RELU_H

#include <stdint.h>

typedef struct {
    int32_t count;
    int32_t input_offset;     /* input zero point (subtracted) */
    int32_t output_offset;
    int32_t mult, shift;      /* input_scale / output_scale */
    int32_t act_min, act_max;
} tq_relu_params;

/* RELU / RELU_N1_TO_1 (TFLM's ReluQuantized): requantize, then clamp. May run in place. */
void tq_relu_s8(const tq_relu_params *p, const int8_t *in, int8_t *out);
/* RELU6 (TFLM's Relu6Quantized): a clamp between the quantized 0 and 6. May run in place. */
typedef struct {
    int32_t count;
    int32_t lo, hi;          /* in the input's quantization: RELU6 does not requantize */
} tq_clamp_params;

void tq_clamp_s8(const tq_clamp_params *p, const int8_t *in, int8_t *out);

/* The same for int16 activations. */
void tq_relu_s16(const tq_relu_params *p, const int16_t *in, int16_t *out);
void tq_clamp_s16(const tq_clamp_params *p, const int16_t *in, int16_t *out);

#endif
