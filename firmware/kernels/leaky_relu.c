#include "leaky_relu.h"

#include "tq_common.h"

void tq_leaky_relu_s8(const tq_leaky_relu_params *p, const int8_t *in, int8_t *out)
{
    for (int32_t i = 0; i < p->count; ++i) {
        const int32_t v = (int32_t)in[i] - p->input_offset;
        const int32_t r = v >= 0 ? tq_requantize(v, p->mult_identity, p->shift_identity)
                                 : tq_requantize(v, p->mult_alpha, p->shift_alpha);
        out[i] = tq_sat_s8(p->output_offset + r);
    }
}

void tq_leaky_relu_s16(const tq_leaky_relu_params *p, const int16_t *in, int16_t *out)
{
    for (int32_t i = 0; i < p->count; ++i) {
        const int32_t v = (int32_t)in[i] - p->input_offset;
        const int32_t r = v >= 0 ? tq_requantize(v, p->mult_identity, p->shift_identity)
                                 : tq_requantize(v, p->mult_alpha, p->shift_alpha);
        const int32_t o = p->output_offset + r;
        out[i] = (int16_t)TQ_CLAMP(o, -32768, 32767);
    }
}
