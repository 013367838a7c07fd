#include "svdf.h"

#include "tq_common.h"

void tq_svdf_s8(const tq_svdf_params *p, const int8_t *in, const int8_t *w_feature, const int16_t *w_time,
                const int32_t *bias, int16_t *state, int8_t *out, int32_t *scratch)
{
    const int32_t nb = p->batches, ni = p->inputs, nf = p->filters, nm = p->memory, rank = p->rank;
    const int32_t nu = nf / rank, total = nb * nf * nm;
    int32_t *filter_sums = scratch, *unit_sums = scratch + nb * nf;
    /* every filter's memory moves one step back (the whole buffer, as TFLM shifts it) */
    for (int32_t i = 0; i + 1 < total; ++i) {
        state[i] = state[i + 1];
    }
    for (int32_t b = 0; b < nb; ++b) {
        int16_t *newest = state + b * nf * nm + (nm - 1);
        for (int32_t f = 0; f < nf; ++f) {
            const int8_t *w = w_feature + f * ni, *x = in + b * ni;
            int32_t acc = 0;
            for (int32_t c = 0; c < ni; ++c) {
                acc += w[c] * (x[c] - p->input_zero_point);
            }
            acc = tq_requantize(acc, p->mult1, (int)p->shift1);
            newest[f * nm] = (int16_t)TQ_CLAMP(acc, INT16_MIN, INT16_MAX);
        }
    }
    for (int32_t b = 0; b < nb; ++b) {
        const int16_t *s = state + b * nm * nf, *wt = w_time;
        for (int32_t f = 0; f < nf; ++f) {
            int32_t acc = 0;
            for (int32_t m = 0; m < nm; ++m) {
                acc += *wt++ * *s++;
            }
            filter_sums[b * nf + f] = acc;
        }
        for (int32_t u = 0; u < nu; ++u) {
            int32_t acc = bias ? bias[u] : 0;
            for (int32_t r = 0; r < rank; ++r) {
                acc += filter_sums[b * nf + u * rank + r];
            }
            unit_sums[b * nu + u] = acc;
        }
    }
    for (int32_t i = 0; i < nb * nu; ++i) {
        const int32_t v = tq_requantize(unit_sums[i], p->mult2, (int)p->shift2) + p->output_zero_point;
        out[i] = (int8_t)TQ_CLAMP(v, INT8_MIN, INT8_MAX);
    }
}
