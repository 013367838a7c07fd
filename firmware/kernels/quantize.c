#include "quantize.h"

#include "tq_common.h"

/* round() for floats without libm: halves away from zero; saturates far outside int32. */
static int32_t round_float(float v)
{
    if (v >= 2147483520.0f) {
        return INT32_MAX;
    }
    if (v <= -2147483520.0f) {
        return INT32_MIN;
    }
    const int32_t t = (int32_t)v;          /* truncates toward zero */
    const float frac = v - (float)t;       /* exact */
    if (frac >= 0.5f) {
        return t + 1;
    }
    if (frac <= -0.5f) {
        return t - 1;
    }
    return t;
}

void tq_quantize_f32_s8(int32_t count, float scale, int32_t zero_point, const float *in, int8_t *out)
{
    for (int32_t i = 0; i < count; ++i) {
        const int32_t q = round_float(in[i] / scale);
        /* Clamp before adding the zero point so that huge inputs cannot overflow. */
        out[i] = tq_sat_s8(TQ_CLAMP(q, -1024, 1024) + zero_point);
    }
}

void tq_requantize_s8(int32_t count, int32_t in_zero_point, int32_t mult, int32_t shift,
                      int32_t out_zero_point, const int8_t *in, int8_t *out)
{
    for (int32_t i = 0; i < count; ++i) {
        const int32_t v = tq_requantize((int32_t)in[i] - in_zero_point, mult, (int)shift) + out_zero_point;
        out[i] = tq_sat_s8(v);
    }
}
