#include "transpose_conv.h"

#include "tq_s16.h"
#include "tq_common.h"

/* The output rows [ky_lo, ky_hi) of filter taps an input row y reaches inside the output. */
static inline void tap_range(int32_t origin, int32_t k, int32_t size, int32_t *lo, int32_t *hi)
{
    *lo = origin < 0 ? -origin : 0;
    *hi = origin + k > size ? size - origin : k;
}

void tq_transpose_conv_s16(const tq_transpose_conv_params *p, const int16_t *in, const int8_t *w,
                           int16_t *out, void *scratch)
{
    const tq_window *g = &p->geo;
    int64_t *acc = (int64_t *)scratch;
    const int32_t in_c = g->in_c, out_c = g->out_c;
    const int32_t filt_len = (int32_t)g->k_h * g->k_w * in_c;   /* one output channel's filter */
    const int32_t total = (int32_t)g->batches * g->out_h * g->out_w * out_c;
    for (int32_t i = 0; i < total; ++i) {
        acc[i] = 0;
    }
    for (int32_t b = 0; b < g->batches; ++b) {
        int64_t *acc_b = acc + b * g->out_h * g->out_w * out_c;
        for (int32_t y = 0; y < g->in_h; ++y) {
            const int32_t oy0 = y * g->stride_h - g->pad_h;
            int32_t ky_lo, ky_hi;
            tap_range(oy0, g->k_h, g->out_h, &ky_lo, &ky_hi);
            for (int32_t x = 0; x < g->in_w; ++x) {
                const int32_t ox0 = x * g->stride_w - g->pad_w;
                int32_t kx_lo, kx_hi;
                tap_range(ox0, g->k_w, g->out_w, &kx_lo, &kx_hi);
                const int16_t *px = in + ((b * g->in_h + y) * g->in_w + x) * in_c;
                for (int32_t ky = ky_lo; ky < ky_hi; ++ky) {
                    for (int32_t kx = kx_lo; kx < kx_hi; ++kx) {
                        int64_t *a = acc_b + ((oy0 + ky) * g->out_w + ox0 + kx) * out_c;
                        const int8_t *wk = w + (ky * g->k_w + kx) * in_c;
                        for (int32_t oc = 0; oc < out_c; ++oc) {
                            const int8_t *wc = wk + oc * filt_len;
                            int64_t sum = 0;
                            int32_t part = 0, run = 0;      /* exact: |w * in| <= 2^22 */
                            for (int32_t ic = 0; ic < in_c; ++ic) {
                                part += (int32_t)wc[ic] * (int32_t)px[ic];
                                if (++run == 256) {
                                    sum += part;
                                    part = 0;
                                    run = 0;
                                }
                            }
                            a[oc] += sum + part;
                        }
                    }
                }
            }
        }
    }
    for (int32_t i = 0; i < total; ++i) {
        const int32_t oc = i % out_c;
        const int64_t v = acc[i] + (p->bias64 ? p->bias64[oc] : 0);
        const int32_t r = tq_requantize_s64(v, p->mult[oc], p->shift[oc]);
        out[i] = (int16_t)TQ_CLAMP(r, p->act_min, p->act_max);
    }
}

void tq_transpose_conv_s8(const tq_transpose_conv_params *p, const int8_t *in, const int8_t *w,
                          int8_t *out, void *scratch)
{
    const tq_window *g = &p->geo;
    int32_t *acc = (int32_t *)scratch;
    const int32_t in_c = g->in_c, out_c = g->out_c;
    const int32_t filt_len = (int32_t)g->k_h * g->k_w * in_c;
    const int32_t total = (int32_t)g->batches * g->out_h * g->out_w * out_c;
    const int32_t in_off = p->input_offset;
    for (int32_t i = 0; i < total; ++i) {
        acc[i] = 0;
    }
    for (int32_t b = 0; b < g->batches; ++b) {
        int32_t *acc_b = acc + b * g->out_h * g->out_w * out_c;
        for (int32_t y = 0; y < g->in_h; ++y) {
            const int32_t oy0 = y * g->stride_h - g->pad_h;
            int32_t ky_lo, ky_hi;
            tap_range(oy0, g->k_h, g->out_h, &ky_lo, &ky_hi);
            for (int32_t x = 0; x < g->in_w; ++x) {
                const int32_t ox0 = x * g->stride_w - g->pad_w;
                int32_t kx_lo, kx_hi;
                tap_range(ox0, g->k_w, g->out_w, &kx_lo, &kx_hi);
                const int8_t *px = in + ((b * g->in_h + y) * g->in_w + x) * in_c;
                for (int32_t ky = ky_lo; ky < ky_hi; ++ky) {
                    for (int32_t kx = kx_lo; kx < kx_hi; ++kx) {
                        int32_t *a = acc_b + ((oy0 + ky) * g->out_w + ox0 + kx) * out_c;
                        const int8_t *wk = w + (ky * g->k_w + kx) * in_c;
                        for (int32_t oc = 0; oc < out_c; ++oc) {
                            const int8_t *wc = wk + oc * filt_len;
                            int32_t sum = 0;
                            for (int32_t ic = 0; ic < in_c; ++ic) {
                                sum += (int32_t)wc[ic] * ((int32_t)px[ic] + in_off);
                            }
                            a[oc] += sum;
                        }
                    }
                }
            }
        }
    }
    for (int32_t i = 0; i < total; ++i) {
        const int32_t oc = i % out_c;
        int32_t v = acc[i] + (p->bias ? p->bias[oc] : 0);
        v = tq_requantize(v, p->mult[oc], p->shift[oc]) + p->output_offset;
        out[i] = (int8_t)TQ_CLAMP(v, p->act_min, p->act_max);
    }
}
