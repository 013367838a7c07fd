#ifndef TQ_QUANTIZE_H
#define TQ_QUANTIZE_H

#include <stdint.h>

typedef struct {
    int32_t count;
    float scale;             /* the output's scale */
    int32_t zero_point;      /* the output's zero point */
} tq_quantize_params;

typedef struct {
    int32_t count;
    int32_t in_zero_point;
    int32_t mult, shift;     /* in_scale / out_scale as TFLM's QuantizeMultiplier gives it */
    int32_t out_zero_point;
} tq_requantize_params;

/* float32 -> int8, TFLM's AffineQuantize: round(x / scale) + zero point, the division in float
 * (TFLM casts its double scale back to float first) and round half away from zero. in and out
 * must not overlap. */
void tq_quantize_f32_s8(const tq_quantize_params *p, const float *in, int8_t *out);
/* int8 -> int8 with another scale/zero point, TFLM's Requantize. May run in place. */
void tq_requantize_s8(const tq_requantize_params *p, const int8_t *in, int8_t *out);

/* float32 -> int16, AffineQuantize<int16_t>: as tq_quantize_f32_s8, saturated to int16. */
void tq_quantize_f32_s16(const tq_quantize_params *p, const float *in, int16_t *out);

/* Requantization between int8, int16 and int32 (TFLM's Requantize<in, out>): (x - in zero point)
 * through MultiplyByQuantizedMultiplier, + out zero point, saturated to the output type; int32
 * overflow wraps as on the device. Same-size types may run in place; otherwise in and out must
 * not overlap. */
void tq_requantize_s8_s16(const tq_requantize_params *p, const int8_t *in, int16_t *out);
void tq_requantize_s8_s32(const tq_requantize_params *p, const int8_t *in, int32_t *out);
void tq_requantize_s16_s8(const tq_requantize_params *p, const int16_t *in, int8_t *out);
void tq_requantize_s16_s16(const tq_requantize_params *p, const int16_t *in, int16_t *out);
void tq_requantize_s16_s32(const tq_requantize_params *p, const int16_t *in, int32_t *out);
void tq_requantize_s32_s8(const tq_requantize_params *p, const int32_t *in, int8_t *out);
void tq_requantize_s32_s16(const tq_requantize_params *p, const int32_t *in, int16_t *out);
/* uint8 at the model's edges (TFLM's uint8 -> int8 and int8 -> uint8; uint8 -> uint8 is TFLite's):
 * the same arithmetic, saturated to [0, 255] for a uint8 output. May run in place. */
void tq_requantize_u8_s8(const tq_requantize_params *p, const uint8_t *in, int8_t *out);
void tq_requantize_s8_u8(const tq_requantize_params *p, const int8_t *in, uint8_t *out);
void tq_requantize_u8_u8(const tq_requantize_params *p, const uint8_t *in, uint8_t *out);

#endif
