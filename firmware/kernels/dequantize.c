#include "dequantize.h"

/* One loop per input type: (float)(scale * (q - zero point)), the product in double as TFLM's
 * DequantizationParams. Backwards, so that an output wider than the input may overlap it from
 * the start. */
#define TQ_DEQUANTIZE(NAME, TIN)                                                  \
    void NAME(const tq_dequantize_params *p, const TIN *in, float *out)           \
    {                                                                             \
        const int32_t count = p->count, zero_point = p->zero_point;               \
        const double scale = p->scale;                                            \
        for (int32_t i = count - 1; i >= 0; --i) {                                \
            out[i] = (float)(scale * (double)((int32_t)in[i] - zero_point));      \
        }                                                                         \
    }

TQ_DEQUANTIZE(tq_dequantize_s8_f32, int8_t)
TQ_DEQUANTIZE(tq_dequantize_u8_f32, uint8_t)
TQ_DEQUANTIZE(tq_dequantize_s16_f32, int16_t)
