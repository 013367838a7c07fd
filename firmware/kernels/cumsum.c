#include "cumsum.h"

#include "tq_common.h"

void tq_cumsum_s8(const tq_cumsum_params *p, const int8_t *in, int8_t *out)
{
    const int32_t after = p->after, depth = p->depth;
    const int32_t start = tq_requantize_lt1(p->input_offset * (1 << 20), p->input_mult, (int)p->input_shift);
    for (int32_t b = 0; b < p->before; ++b) {
        for (int32_t a = 0; a < after; ++a) {
            int32_t acc = start;
            for (int32_t k = 0; k < depth; ++k) {
                const int32_t d = p->reverse ? depth - 1 - k : k;
                const int32_t i = (b * depth + d) * after + a;
                const int32_t y = tq_requantize_lt1((in[i] + p->input_offset) * (1 << 20), p->input_mult,
                                                    (int)p->input_shift);
                int32_t s;
                if (p->exclusive) {
                    s = acc;
                    acc += y;
                } else {
                    acc += y;
                    s = acc;
                }
                const int32_t v = tq_requantize_lt1(s, p->output_mult, (int)p->output_shift) + p->output_offset;
                out[i] = (int8_t)TQ_CLAMP(v, p->act_min, p->act_max);
            }
        }
    }
}
