#include "depthwise_conv_2d.h"

#include "tq_common.h"

/* Channels accumulated together: the inner loop runs over contiguous channels of one tap, which
 * in NHWC is contiguous in both the input pixel and the weights. 128 B of stack. */
#define TQ_DW_CHUNK 32

void tq_depthwise_conv_2d_s8(const tq_dw_params *p, const int8_t *in, const int8_t *w, int8_t *out)
{
    const int32_t in_c = p->geo.in_c;
    const int32_t out_c = p->geo.out_c;
    const int32_t dm = p->depth_mult;
    int32_t acc[TQ_DW_CHUNK];
    for (int32_t b = 0; b < p->geo.batches; ++b) {
        const int8_t *in_b = in + (int32_t)b * p->geo.in_h * p->geo.in_w * in_c;
        for (int32_t oy = 0; oy < p->geo.out_h; ++oy) {
            const int32_t y0 = oy * p->geo.stride_h - p->geo.pad_h;
            for (int32_t ox = 0; ox < p->geo.out_w; ++ox) {
                const int32_t x0 = ox * p->geo.stride_w - p->geo.pad_w;
                /* Where no tap is padding, the input offset term is a per-channel constant folded
                 * into bias_full; elsewhere each valid tap adds it and padded taps add nothing. */
                const int interior = y0 >= 0 && x0 >= 0 &&
                                     y0 + (p->geo.k_h - 1) * p->geo.dil_h < p->geo.in_h &&
                                     x0 + (p->geo.k_w - 1) * p->geo.dil_w < p->geo.in_w;
                const int32_t off = interior ? 0 : p->input_offset;
                const int32_t *bias = interior ? p->bias_full : p->bias;
                for (int32_t c0 = 0; c0 < out_c; c0 += TQ_DW_CHUNK) {
                    const int32_t n = TQ_MIN(TQ_DW_CHUNK, out_c - c0);
                    for (int32_t j = 0; j < n; ++j) {
                        acc[j] = bias[c0 + j];
                    }
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
                            const int8_t *wk = w + (ky * p->geo.k_w + kx) * out_c + c0;
                            if (dm == 1) {
                                px += c0;
                                for (int32_t j = 0; j < n; ++j) {
                                    acc[j] += (int32_t)wk[j] * ((int32_t)px[j] + off);
                                }
                            } else {
                                /* output channel oc = ic * dm + m */
                                int32_t ic = c0 / dm, m = c0 % dm;
                                for (int32_t j = 0; j < n; ++j) {
                                    acc[j] += (int32_t)wk[j] * ((int32_t)px[ic] + off);
                                    if (++m == dm) {
                                        m = 0;
                                        ++ic;
                                    }
                                }
                            }
                        }
                    }
                    for (int32_t j = 0; j < n; ++j) {
                        const int32_t oc = c0 + j;
                        const int32_t v = tq_requantize(acc[j], p->mult[oc], p->shift[oc]) + p->output_offset;
                        *out++ = (int8_t)TQ_CLAMP(v, p->act_min, p->act_max);
                    }
                }
            }
        }
    }
}
