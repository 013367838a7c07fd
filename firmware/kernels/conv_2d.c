#include "conv_2d.h"

#include "tq_common.h"

/* Requantize one accumulator to out[o], through the fused residual ADD if there is one. */
static inline void store(const tq_conv_params *p, int32_t acc, int32_t oc, const int8_t *residual,
                         int8_t *out, int32_t o)
{
    acc = tq_requantize(acc, p->mult[oc], p->shift[oc]) + p->output_offset;
    const int8_t v = (int8_t)TQ_CLAMP(acc, p->act_min, p->act_max);
    if (p->add) {
        out[o] = p->add_conv_first ? tq_add_one(p->add, v, residual[o]) : tq_add_one(p->add, residual[o], v);
    } else {
        out[o] = v;
    }
}

void tq_conv_2d_s8(const tq_conv_params *p, const int8_t *in, const int8_t *w, const int8_t *residual,
                   int8_t *out)
{
    int32_t o = 0;
    const int32_t in_c = p->geo.in_c;
    const int32_t tap_len = (int32_t)p->geo.k_w * in_c;          /* one filter row */
    const int32_t filt_len = (int32_t)p->geo.k_h * tap_len;      /* one output channel's filter */
    const int dense_rows = p->geo.dil_w == 1;                  /* a filter row reads contiguous input */
    for (int32_t b = 0; b < p->geo.batches; ++b) {
        const int8_t *in_b = in + (int32_t)b * p->geo.in_h * p->geo.in_w * in_c;
        for (int32_t oy = 0; oy < p->geo.out_h; ++oy) {
            const int32_t y0 = oy * p->geo.stride_h - p->geo.pad_h;
            for (int32_t ox = 0; ox < p->geo.out_w; ++ox) {
                const int32_t x0 = ox * p->geo.stride_w - p->geo.pad_w;
                /* Interior pixels see no padding, so the input offset term is a per-channel
                 * constant folded into bias_full at generation time. */
                const int interior = y0 >= 0 && x0 >= 0 &&
                                     y0 + (p->geo.k_h - 1) * p->geo.dil_h < p->geo.in_h &&
                                     x0 + (p->geo.k_w - 1) * p->geo.dil_w < p->geo.in_w;
                int32_t oc = 0;
                if (interior && dense_rows) {
                    /* two output channels at a time: each input byte loaded once for both */
                    for (; oc + 1 < p->geo.out_c; oc += 2) {
                        const int8_t *w0 = w + oc * filt_len;
                        const int8_t *w1 = w0 + filt_len;
                        int32_t acc0 = p->bias_full[oc], acc1 = p->bias_full[oc + 1];
                        for (int32_t ky = 0; ky < p->geo.k_h; ++ky) {
                            const int8_t *row = in_b + ((y0 + ky * p->geo.dil_h) * p->geo.in_w + x0) * in_c;
                            const int8_t *r0 = w0 + ky * tap_len, *r1 = w1 + ky * tap_len;
                            for (int32_t i = 0; i < tap_len; ++i) {
                                const int32_t x = row[i];
                                acc0 += (int32_t)r0[i] * x;
                                acc1 += (int32_t)r1[i] * x;
                            }
                        }
                        store(p, acc0, oc, residual, out, o++);
                        store(p, acc1, oc + 1, residual, out, o++);
                    }
                }
                for (; oc < p->geo.out_c; ++oc) {
                    const int8_t *wc = w + oc * filt_len;
                    int32_t acc;
                    if (interior) {
                        acc = p->bias_full[oc];
                        for (int32_t ky = 0; ky < p->geo.k_h; ++ky) {
                            const int8_t *row = in_b + ((y0 + ky * p->geo.dil_h) * p->geo.in_w + x0) * in_c;
                            const int8_t *wr = wc + ky * tap_len;
                            if (dense_rows) {
                                /* k_w taps side by side: one run of k_w * in_c bytes in both */
                                for (int32_t i = 0; i < tap_len; ++i) {
                                    acc += (int32_t)wr[i] * (int32_t)row[i];
                                }
                                continue;
                            }
                            for (int32_t kx = 0; kx < p->geo.k_w; ++kx) {
                                const int8_t *px = row + kx * p->geo.dil_w * in_c;
                                const int8_t *wk = wr + kx * in_c;
                                for (int32_t ic = 0; ic < in_c; ++ic) {
                                    acc += (int32_t)wk[ic] * (int32_t)px[ic];
                                }
                            }
                        }
                    } else {
                        acc = p->bias[oc];
                        for (int32_t ky = 0; ky < p->geo.k_h; ++ky) {
                            const int32_t y = y0 + ky * p->geo.dil_h;
                            if (y < 0 || y >= p->geo.in_h) {
                                continue;
                            }
                            for (int32_t kx = 0; kx < p->geo.k_w; ++kx) {
                                const int32_t x = x0 + kx * p->geo.dil_w;
                                if (x < 0 || x >= p->geo.in_w) {
                                    continue;
                                }
                                const int8_t *px = in_b + (y * p->geo.in_w + x) * in_c;
                                const int8_t *wk = wc + ky * tap_len + kx * in_c;
                                for (int32_t ic = 0; ic < in_c; ++ic) {
                                    acc += (int32_t)wk[ic] * ((int32_t)px[ic] + p->input_offset);
                                }
                            }
                        }
                    }
                    store(p, acc, oc, residual, out, o++);
                }
            }
        }
    }
}
