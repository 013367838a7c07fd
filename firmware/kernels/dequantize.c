#include "dequantize.h"

void tq_dequantize_s8_f32(int32_t count, double scale, int32_t zero_point, const int8_t *in, float *out)
{
    /* Backwards, so that an output four times the input's size may overlap it from the start. */
    for (int32_t i = count - 1; i >= 0; --i) {
        out[i] = (float)(scale * (double)((int32_t)in[i] - zero_point));
    }
}
