#ifndef TQ_QUANTIZE_H
#define TQ_QUANTIZE_H

#include <stdint.h>

/* float32 -> int8, TFLM's AffineQuantize: round(x / scale) + zero point, the division in float
 * (TFLM casts its double scale back to float first) and round half away from zero. */
void tq_quantize_f32_s8(int32_t count, float scale, int32_t zero_point, const float *in, int8_t *out);
/* int8 -> int8 with another scale/zero point, TFLM's Requantize. May run in place. */
void tq_requantize_s8(int32_t count, int32_t in_zero_point, int32_t mult, int32_t shift,
                      int32_t out_zero_point, const int8_t *in, int8_t *out);

#endif
