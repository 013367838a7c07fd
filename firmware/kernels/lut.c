#include "lut.h"

#include "tq_common.h"

void tq_lut_s8(const tq_lut_params *p, const int8_t *in, int8_t *out)
{
    const int8_t *t = p->table;
    for (int32_t i = 0; i < p->count; ++i) {
        out[i] = t[(uint8_t)in[i]];
    }
}

void tq_abs_s16(const tq_abs_params *p, const int16_t *in, int16_t *out)
{
    for (int32_t i = 0; i < p->count; ++i) {
        int32_t v = in[i] + p->input_offset;
        v = v < 0 ? -v : v;
        if (p->rescale) {
            v = tq_requantize(v, p->mult, (int)p->shift);
        }
        v += p->output_offset;
        out[i] = (int16_t)TQ_CLAMP(v, INT16_MIN, INT16_MAX);
    }
}
