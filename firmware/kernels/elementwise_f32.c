#include "elementwise_f32.h"

#include "tq_f32.h"

static inline float add_f(float x, float y) { return x + y; }
static inline float sub_f(float x, float y) { return x - y; }
static inline float mul_f(float x, float y) { return x * y; }

/* the loop written once, its arithmetic a parameter (the call is inlined) */
#define TQ_BINARY_F32(name, FN)                                                              \
    void name(const tq_binary_f32_params *p, const float *a, const float *b, float *out)    \
    {                                                                                        \
        const float lo = p->act_min;                                                         \
        const float hi = p->act_max;                                                         \
        TQ_BROADCAST_LOOP(&p->bc, out[o] = tq_clampf(FN(a[i1], b[i2]), lo, hi));              \
    }

TQ_BINARY_F32(tq_add_f32, add_f)
TQ_BINARY_F32(tq_sub_f32, sub_f)
TQ_BINARY_F32(tq_mul_f32, mul_f)

void tq_clamp_f32(const tq_unary_f32_params *p, const float *in, float *out)
{
    for (int32_t i = 0; i < p->count; ++i) {
        out[i] = tq_clampf(in[i], p->lo, p->hi);
    }
}

void tq_leaky_relu_f32(const tq_unary_f32_params *p, const float *in, float *out)
{
    for (int32_t i = 0; i < p->count; ++i) {
        const float x = in[i];
        out[i] = x < 0.0f ? x * p->alpha : x;
    }
}

void tq_logistic_f32(const tq_unary_f32_params *p, const float *in, float *out)
{
    for (int32_t i = 0; i < p->count; ++i) {
        out[i] = 1.0f / (1.0f + tq_expf(-in[i]));
    }
}

void tq_tanh_f32(const tq_unary_f32_params *p, const float *in, float *out)
{
    for (int32_t i = 0; i < p->count; ++i) {
        const float x = in[i];
        /* odd: compute for |x| (e^-2|x| <= 1, no overflow), then restore the sign */
        const float ax = x < 0.0f ? -x : x;
        float t;
        if (ax < 0.0625f) {
            /* x - x^3/3 + 2x^5/15: avoids the cancellation in 1 - 2/(e^2x + 1) near 0 */
            const float x2 = ax * ax;
            t = ax * (1.0f + x2 * (-1.0f / 3.0f + x2 * (2.0f / 15.0f)));
        } else {
            const float e = tq_expf(-2.0f * ax);
            t = (1.0f - e) / (1.0f + e);
        }
        out[i] = x < 0.0f ? -t : t;
    }
}
