#ifndef TQ_LEAKY_RELU_H
#define TQ_LEAKY_RELU_H

#include <stdint.h>

typedef struct {
    int32_t count;
    int32_t input_offset;         /* input zero point (subtracted) */
    int32_t output_offset;
    int32_t mult_identity, shift_identity;   /* input_scale / output_scale */
    int32_t mult_alpha, shift_alpha;         /* input_scale * alpha / output_scale */
} tq_leaky_relu_params;

/* TFLM's QuantizeLeakyRelu. May run in place. */
void tq_leaky_relu_s8(const tq_leaky_relu_params *p, const int8_t *in, int8_t *out);
/* The same for int16 (QuantizeLeakyRelu<int16_t>), clamped to int16. May run in place. */
void tq_leaky_relu_s16(const tq_leaky_relu_params *p, const int16_t *in, int16_t *out);

#endif
