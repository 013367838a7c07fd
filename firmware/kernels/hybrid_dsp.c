#include "hybrid_dsp.h"

#include <string.h>

#include "tq_dot8.h"
#include "tq_f32.h"

/* out[c] = clamp((sum_d x[d] * W[c][d] - zp * wsum[c]) * scale * wscale[c] + bias[c]) for the
 * out_depth channels of dsp8-layout weights w (the same float expression as hybrid_f32.c). */
static void dot_rows(const int8_t *x, const int8_t *w, int32_t depth, int32_t out_depth, int32_t zp,
                     const int32_t *wsum, float scale, const float *wscale, const float *bias, float lo, float hi,
                     int fc_order, float *out)
{
    const int32_t groups = depth >> 2, body = depth & ~3, tail = depth & 3;
    const int8_t *xt = x + body;
    const int8_t *wp = w;
    int32_t c = 0;
    for (; c + 4 <= out_depth; c += 4) {
        int32_t s[4] = {0, 0, 0, 0};
        tq_fc8_block4(x, &wp, groups, s);
        for (int32_t k = 0; k < 4; ++k) {
            if (tail) {
                s[k] = tq_fc8_tail(&wp, xt, tail, s[k]);
            }
        }
        for (int32_t k = 0; k < 4; ++k) {
            const int32_t acc = s[k] - wsum[c + k] * zp;
            /* FULLY_CONNECTED and the convolutions group their float terms as their portable kernels */
            const float v = fc_order ? bias[c + k] + (float)acc * (scale * wscale[c + k])
                                     : (float)acc * (wscale[c + k] * scale) + bias[c + k];
            out[c + k] = tq_clampf(v, lo, hi);
        }
    }
    for (; c < out_depth; ++c) {
        int32_t a = tq_fc8_row1(x, &wp, groups, 0);
        a = tq_fc8_tail(&wp, xt, tail, a) - wsum[c] * zp;
        const float v = fc_order ? bias[c] + (float)a * (scale * wscale[c]) : (float)a * (wscale[c] * scale) + bias[c];
        out[c] = tq_clampf(v, lo, hi);
    }
}

void tq_fully_connected_dsp_hybrid(const tq_fc_hybrid_params *p, const float *in, const int8_t *w, float *out,
                                   int8_t *scratch)
{
    for (int32_t b = 0; b < p->batches; ++b) {
        int32_t zp;
        const float scale = tq_quantize_input(in + b * p->in_depth, p->in_depth, p->asymmetric, scratch, &zp);
        dot_rows(scratch, w, p->in_depth, p->out_depth, zp, p->row_sum, scale, p->wscale, p->bias, p->act_min,
                 p->act_max, 1, out);
        out += p->out_depth;
    }
}

void tq_conv_2d_dsp_hybrid(const tq_conv_hybrid_params *p, const int32_t *wsum, const float *in, const int8_t *w,
                           float *out, int8_t *scratch)
{
    const tq_window g = p->geo;
    const int32_t in_c = g.in_c, out_c = g.out_c;
    const int32_t image = (int32_t)g.in_h * g.in_w * in_c;
    const int32_t filt_len = (int32_t)g.k_h * g.k_w * in_c;
    int8_t *patch = scratch + image;
    const int pointwise = g.k_h == 1 && g.k_w == 1 && g.pad_h == 0 && g.pad_w == 0;
    for (int32_t b = 0; b < g.batches; ++b) {
        int32_t zp;
        const float scale = tq_quantize_input(in + b * image, image, p->asymmetric, scratch, &zp);
        for (int32_t oy = 0; oy < g.out_h; ++oy) {
            const int32_t y0 = oy * g.stride_h - g.pad_h;
            for (int32_t ox = 0; ox < g.out_w; ++ox) {
                const int32_t x0 = ox * g.stride_w - g.pad_w;
                const int8_t *x = patch;
                if (pointwise) {   /* 1x1 without padding: the pixel's inputs are the patch */
                    x = scratch + (y0 * g.in_w + x0) * in_c;
                } else {
                    int8_t *dst = patch;
                    for (int32_t ky = 0; ky < g.k_h; ++ky) {
                        const int32_t y = y0 + ky * g.dil_h;
                        const int row_in = y >= 0 && y < g.in_h;
                        for (int32_t kx = 0; kx < g.k_w; ++kx, dst += in_c) {
                            const int32_t xx = x0 + kx * g.dil_w;
                            if (!row_in || xx < 0 || xx >= g.in_w) {
                                memset(dst, (int8_t)zp, (size_t)in_c);
                            } else if (in_c == 1) {   /* a first layer: a byte a tap, no library call */
                                *dst = scratch[y * g.in_w + xx];
                            } else {
                                memcpy(dst, scratch + (y * g.in_w + xx) * in_c, (size_t)in_c);
                            }
                        }
                    }
                }
                dot_rows(x, w, filt_len, out_c, zp, wsum, scale, p->wscale, p->bias, p->act_min, p->act_max, 0, out);
                out += out_c;
            }
        }
    }
}

void tq_depthwise_conv_2d_dsp_hybrid(const tq_conv_hybrid_params *p, const float *in, const int8_t *w, float *out,
                                     int8_t *scratch)
{
    const tq_window g = p->geo;
    const int32_t in_c = g.in_c, out_c = g.out_c, mult = p->depth_multiplier;
    const int32_t image = (int32_t)g.in_h * g.in_w * in_c;
    const int32_t quads = mult == 1 ? out_c & ~3 : 0;
    for (int32_t b = 0; b < g.batches; ++b) {
        int32_t zp;
        const float scale = tq_quantize_input(in + b * image, image, p->asymmetric, scratch, &zp);
        /* -zp in both halfwords: SXTAB16 widens the input bytes and subtracts it in one step
         * (x - zp is within [-255, 255]) */
        const int32_t nzp = (int32_t)(((uint32_t)(uint16_t)(int16_t)-zp) * 0x10001u);
        for (int32_t oy = 0; oy < g.out_h; ++oy) {
            const int32_t y0 = oy * g.stride_h - g.pad_h;
            int32_t ky0, ky1;
            tq_tap_range(y0, g.dil_h, g.k_h, g.in_h, &ky0, &ky1);
            for (int32_t ox = 0; ox < g.out_w; ++ox) {
                const int32_t x0 = ox * g.stride_w - g.pad_w;
                int32_t kx0, kx1;
                tq_tap_range(x0, g.dil_w, g.k_w, g.in_w, &kx0, &kx1);
                int32_t oc = 0;
                for (; oc < quads; oc += 4) {
                    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
                    for (int32_t ky = ky0; ky < ky1; ++ky) {
                        const int8_t *row = scratch + (y0 + ky * g.dil_h) * g.in_w * in_c + oc;
                        const int8_t *wr = w + ky * g.k_w * out_c + oc;
                        for (int32_t kx = kx0; kx < kx1; ++kx) {
                            const int32_t xv = tq_read_s32(row + (x0 + kx * g.dil_w) * in_c);
                            const int32_t wv = tq_read_s32(wr + kx * out_c);
                            const int32_t x02 = tq_sxtab16(nzp, xv), x13 = tq_sxtab16_ror8(nzp, xv);
                            const int32_t w02 = tq_sxtb16(wv), w13 = tq_sxtb16_ror8(wv);
                            a0 = tq_smlabb(x02, w02, a0);
                            a2 = tq_smlatt(x02, w02, a2);
                            a1 = tq_smlabb(x13, w13, a1);
                            a3 = tq_smlatt(x13, w13, a3);
                        }
                    }
                    const int32_t acc[4] = {a0, a1, a2, a3};
                    for (int32_t k = 0; k < 4; ++k) {
                        out[oc + k] = tq_clampf((float)acc[k] * (p->wscale[oc + k] * scale) + p->bias[oc + k],
                                                p->act_min, p->act_max);
                    }
                }
                for (; oc < out_c; ++oc) {
                    int32_t acc = 0;
                    for (int32_t ky = ky0; ky < ky1; ++ky) {
                        const int8_t *row = scratch + (y0 + ky * g.dil_h) * g.in_w * in_c;
                        for (int32_t kx = kx0; kx < kx1; ++kx) {
                            acc += (row[(x0 + kx * g.dil_w) * in_c + oc / mult] - zp) *
                                   w[(ky * g.k_w + kx) * out_c + oc];
                        }
                    }
                    out[oc] = tq_clampf((float)acc * (p->wscale[oc] * scale) + p->bias[oc], p->act_min, p->act_max);
                }
                out += out_c;
            }
        }
    }
}
