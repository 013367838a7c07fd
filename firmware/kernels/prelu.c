#include "prelu.h"

#include "tq_common.h"

static int8_t prelu_one(const tq_prelu_params *p, int8_t x, int8_t a)
{
    const int32_t v = (int32_t)x + p->input_offset;
    int32_t r;
    if (v >= 0) {
        r = tq_requantize(v, p->mult_pos, (int)p->shift_pos);
    } else {
        r = tq_requantize(v * ((int32_t)a + p->alpha_offset), p->mult_neg, (int)p->shift_neg);
    }
    return tq_sat_s8(r + p->output_offset);
}

void tq_prelu_s8(const tq_prelu_params *p, const int8_t *x, const int8_t *alpha, int8_t *out)
{
    TQ_BROADCAST_LOOP(&p->shape, out[o] = prelu_one(p, x[i1], alpha[i2]));
}
