#ifndef TQ_DEQUANTIZE_H
#define TQ_DEQUANTIZE_H

#include <stdint.h>

/* int8 -> float32: (float)(scale * (q - zero_point)) with the product in double, as TFLM. */
void tq_dequantize_s8_f32(int32_t count, double scale, int32_t zero_point, const int8_t *in, float *out);

#endif
