#include "add_n.h"

#include "tq_common.h"

void tq_add_n_s8(const tq_add_n_params *p, const int8_t *const *in, int8_t *out)
{
    const int32_t start = tq_requantize_lt1(p->input_offset * (1 << 20), p->input_mult, (int)p->input_shift);
    for (int32_t i = 0; i < p->count; ++i) {
        int32_t acc = start;
        for (int32_t j = 0; j < p->inputs; ++j) {
            acc += tq_requantize_lt1((in[j][i] + p->input_offset) * (1 << 20), p->input_mult, (int)p->input_shift);
        }
        const int32_t v = tq_requantize_lt1(acc, p->output_mult, (int)p->output_shift) + p->output_offset;
        out[i] = (int8_t)TQ_CLAMP(v, p->act_min, p->act_max);
    }
}
