#include "lut.h"

#include <string.h>

#include "tq_common.h"

void tq_lut_s8(const tq_lut_params *p, const int8_t *in, int8_t *out)
{
    const int8_t *t = p->table;
    int32_t i = 0;
    /* four elements per word load: the byte lanes index the table directly */
    for (; i + 4 <= p->count; i += 4) {
        uint32_t v;
        memcpy(&v, in + i, 4);
        out[i] = t[v & 0xFF];
        out[i + 1] = t[(v >> 8) & 0xFF];
        out[i + 2] = t[(v >> 16) & 0xFF];
        out[i + 3] = t[v >> 24];
    }
    for (; i < p->count; ++i) {
        out[i] = t[(uint8_t)in[i]];
    }
}

void tq_lut_inputs_s8(int8_t *xs)
{
    for (int32_t u = 0; u < 256; ++u) {
        xs[u] = (int8_t)(uint8_t)u;
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
