#include "relu.h"

#include "tq_common.h"

void tq_relu_s8(const tq_relu_params *p, const int8_t *in, int8_t *out)
{
    for (int32_t i = 0; i < p->count; ++i) {
        const int32_t v = p->output_offset + tq_requantize((int32_t)in[i] - p->input_offset, p->mult, p->shift);
        out[i] = (int8_t)TQ_CLAMP(v, p->act_min, p->act_max);
    }
}

void tq_clamp_s8(const tq_clamp_params *p, const int8_t *in, int8_t *out)
{
    const int32_t count = p->count, lo = p->lo, hi = p->hi;
    for (int32_t i = 0; i < count; ++i) {
        out[i] = (int8_t)TQ_CLAMP((int32_t)in[i], lo, hi);
    }
}
