#ifndef TQ_DEQUANTIZE_H
#define TQ_DEQUANTIZE_H

#include <stdint.h>

typedef struct {
    int32_t count;
    double scale;
    int32_t zero_point;
} tq_dequantize_params;

/* int8 / uint8 / int16 -> float32: (float)(scale * (q - zero_point)) with the product in double,
 * as TFLM. Walks backwards, so the (2x or 4x larger) output may overlap the input from its start. */
void tq_dequantize_s8_f32(const tq_dequantize_params *p, const int8_t *in, float *out);
void tq_dequantize_u8_f32(const tq_dequantize_params *p, const uint8_t *in, float *out);
void tq_dequantize_s16_f32(const tq_dequantize_params *p, const int16_t *in, float *out);

#endif
