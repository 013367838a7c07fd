#include "mean.h"

#include "tq_common.h"

void tq_mean_s8(const tq_mean_params *p, const int8_t *in, int8_t *out)
{
    const int32_t n = p->reduce;
    const int32_t offset = p->input_zero_point * n;
    for (int32_t o = 0; o < p->outer; ++o) {
        for (int32_t c = 0; c < p->inner; ++c) {
            const int8_t *x = in + o * n * p->inner + c;
            int32_t acc = 0;
            for (int32_t r = 0; r < n; ++r) {
                acc += x[r * p->inner];
            }
            const int32_t v = tq_requantize(acc - offset, p->mult, (int)p->shift) + p->output_zero_point;
            out[o * p->inner + c] = tq_sat_s8(v);
        }
    }
}
