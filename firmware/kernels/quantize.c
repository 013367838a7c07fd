#include "quantize.h"

#include "tq_common.h"

/* TfLiteRound without libm: halves away from zero. Only called on |v| <= 2^20, where the
 * truncation fits in int32 and v - trunc(v) is exact. */
static int32_t round_half_away(float v)
{
    const int32_t t = (int32_t)v;          /* truncates toward zero */
    const float frac = v - (float)t;
    if (frac >= 0.5f) {
        return t + 1;
    }
    if (frac <= -0.5f) {
        return t - 1;
    }
    return t;
}

void tq_quantize_f32_s8(const tq_quantize_params *p, const float *in, int8_t *out)
{
    const int32_t count = p->count, zero_point = p->zero_point;
    const float scale = p->scale;
    for (int32_t i = 0; i < count; ++i) {
        const float v = in[i] / scale;
        /* Anything beyond +-2^20 saturates the int8 anyway; clamping first keeps the int32
         * conversion defined for huge or infinite inputs. */
        float c = v > 1048576.0f ? 1048576.0f : (v < -1048576.0f ? -1048576.0f : v);
        if (c != c) {
            c = 0.0f;   /* NaN: TFLM's cast is undefined there; pick the zero point, defined */
        }
        out[i] = tq_sat_s8(round_half_away(c) + zero_point);
    }
}

void tq_requantize_s8(const tq_requantize_params *p, const int8_t *in, int8_t *out)
{
    const int32_t count = p->count, in_zero_point = p->in_zero_point, mult = p->mult, shift = p->shift;
    const int32_t out_zero_point = p->out_zero_point;
    for (int32_t i = 0; i < count; ++i) {
        const int32_t v = tq_requantize((int32_t)in[i] - in_zero_point, mult, (int)shift) + out_zero_point;
        out[i] = tq_sat_s8(v);
    }
}

void tq_quantize_f32_s16(const tq_quantize_params *p, const float *in, int16_t *out)
{
    const int32_t count = p->count, zero_point = p->zero_point;
    const float scale = p->scale;
    for (int32_t i = 0; i < count; ++i) {
        const float v = in[i] / scale;
        /* beyond +-2^20 the int16 saturates anyway (|zero point| <= 2^15) */
        float c = v > 1048576.0f ? 1048576.0f : (v < -1048576.0f ? -1048576.0f : v);
        if (c != c) {
            c = 0.0f;
        }
        const int32_t q = round_half_away(c) + zero_point;
        out[i] = (int16_t)TQ_CLAMP(q, -32768, 32767);
    }
}

/* One requantization loop per (input, output) type pair. */
#define TQ_REQUANTIZE(NAME, TIN, TOUT, LO, HI)                                                    \
    void NAME(const tq_requantize_params *p, const TIN *in, TOUT *out)                           \
    {                                                                                             \
        const int32_t count = p->count, in_zero_point = p->in_zero_point, mult = p->mult;         \
        const int32_t shift = p->shift, out_zero_point = p->out_zero_point;                       \
        for (int32_t i = 0; i < count; ++i) {                                                     \
            const int32_t x = (int32_t)((uint32_t)(int32_t)in[i] - (uint32_t)in_zero_point);      \
            const int64_t v = (int32_t)((uint32_t)tq_requantize(x, mult, (int)shift) +           \
                                        (uint32_t)out_zero_point);                                \
            out[i] = (TOUT)(v < (LO) ? (LO) : (v > (HI) ? (HI) : v));                             \
        }                                                                                         \
    }

TQ_REQUANTIZE(tq_requantize_s8_s16, int8_t, int16_t, INT16_MIN, INT16_MAX)
TQ_REQUANTIZE(tq_requantize_s8_s32, int8_t, int32_t, INT32_MIN, INT32_MAX)
TQ_REQUANTIZE(tq_requantize_s16_s8, int16_t, int8_t, INT8_MIN, INT8_MAX)
TQ_REQUANTIZE(tq_requantize_s16_s16, int16_t, int16_t, INT16_MIN, INT16_MAX)
TQ_REQUANTIZE(tq_requantize_s16_s32, int16_t, int32_t, INT32_MIN, INT32_MAX)
TQ_REQUANTIZE(tq_requantize_s32_s8, int32_t, int8_t, INT8_MIN, INT8_MAX)
TQ_REQUANTIZE(tq_requantize_s32_s16, int32_t, int16_t, INT16_MIN, INT16_MAX)
/* uint8 I/O: with equal scales and zero points 128 apart this is TFLM's "^ 0x80" fast path
 * (the multiplier is exactly 1 then, so the general loop gives the same bytes). */
TQ_REQUANTIZE(tq_requantize_u8_s8, uint8_t, int8_t, INT8_MIN, INT8_MAX)
TQ_REQUANTIZE(tq_requantize_s8_u8, int8_t, uint8_t, 0, UINT8_MAX)
TQ_REQUANTIZE(tq_requantize_u8_u8, uint8_t, uint8_t, 0, UINT8_MAX)
