#include "dequantize.h"

void tq_dequantize_s8_f32(const tq_dequantize_params *p, const int8_t *in, float *out)
{
    const int32_t count = p->count, zero_point = p->zero_point;
    const double scale = p->scale;
    /* Backwards, so that an output four times the input's size may overlap it from the start. */
    for (int32_t i = count - 1; i >= 0; --i) {
        out[i] = (float)(scale * (double)((int32_t)in[i] - zero_point));
    }
}
