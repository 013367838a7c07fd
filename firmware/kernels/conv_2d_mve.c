#include "conv_2d_mve.h"

#include "tq_common.h"
#include "tq_mve.h"

/* acc[j] (bias included) for the n channels of a block (filters filt_len bytes apart at wb) at
 * the window (y0, x0): for each valid filter row its valid taps, one contiguous run each with
 * dilation 1; where the window touches the padding each run adds input_offset times its
 * weights' sum (bias then lacks the offset term: bias_full holds it for the whole filter). */
__attribute__((noinline)) static void window4(const tq_conv_params *p, const int8_t *in_b, const int8_t *wb, int32_t y0, int32_t x0,
                    int interior, int32_t oc, int32_t n, int32_t acc[4])
{
    const int32_t in_c = p->geo.in_c, tap_len = (int32_t)p->geo.k_w * in_c;
    const int32_t filt_len = (int32_t)p->geo.k_h * tap_len;
    const int32_t off = p->input_offset;
    const int32_t *bias = interior ? p->bias_full : p->bias;
    for (int32_t j = 0; j < 4; ++j) {
        acc[j] = j < n ? bias[oc + j] : 0;
    }
    const int dense = p->geo.dil_w == 1;
    /* dense: one run per row, taps k0 .. k1 - 1; dilated: one run per valid tap */
    const int32_t k0 = dense && x0 < 0 ? -x0 : 0;
    const int32_t k1 = dense ? TQ_MIN((int32_t)p->geo.k_w, p->geo.in_w - x0) : p->geo.k_w;
    for (int32_t ky = 0; ky < p->geo.k_h; ++ky) {
        const int32_t y = y0 + ky * p->geo.dil_h;
        if (y < 0 || y >= p->geo.in_h) {
            continue;
        }
        for (int32_t kx = k0; kx < k1; kx += dense ? k1 : 1) {
            const int32_t x = x0 + kx * p->geo.dil_w;
            if (x < 0 || x >= p->geo.in_w) {
                continue;
            }
            const int8_t *px = in_b + (y * p->geo.in_w + x) * in_c;
            const int8_t *wr = wb + ky * tap_len + kx * in_c;
            const int32_t len = dense ? (k1 - k0) * in_c : in_c;
            if (n == 4) {
                if (interior) {
                    tq_mve_dot4(px, wr, filt_len, len, acc);
                } else {
                    tq_mve_dot4_off(px, wr, filt_len, len, off, acc);
                }
                continue;
            }
            for (int32_t j = 0; j < n; ++j) {
                acc[j] = interior ? tq_mve_dot(px, wr + j * filt_len, len, acc[j])
                                  : tq_mve_dot_off(px, wr + j * filt_len, len, off, acc[j]);
            }
        }
    }
}

void tq_conv_2d_mve_s8(const tq_conv_params *p, const int8_t *in, const int8_t *w, const int8_t *residual,
                       int8_t *out)
{
    (void)residual;   /* the lowering uses this kernel only without a fused ADD */
    int32_t acc[4];
    const int32_t in_c = p->geo.in_c, out_c = p->geo.out_c;
    const int32_t tap_len = (int32_t)p->geo.k_w * in_c;          /* one filter row */
    const int32_t filt_len = (int32_t)p->geo.k_h * tap_len;      /* one output channel's filter */
    const int32_t run = p->geo.dil_w == 1 ? tap_len : in_c;      /* contiguous bytes per dot product */
    const int32_t runs = p->geo.dil_w == 1 ? 1 : p->geo.k_w;
    for (int32_t b = 0; b < p->geo.batches; ++b) {
        const int8_t *in_b = in + (int32_t)b * p->geo.in_h * p->geo.in_w * in_c;
        for (int32_t oy = 0; oy < p->geo.out_h; ++oy) {
            const int32_t y0 = oy * p->geo.stride_h - p->geo.pad_h;
            for (int32_t ox = 0; ox < p->geo.out_w; ++ox, out += out_c) {
                const int32_t x0 = ox * p->geo.stride_w - p->geo.pad_w;
                const int interior = y0 >= 0 && x0 >= 0 &&
                                     y0 + (p->geo.k_h - 1) * p->geo.dil_h < p->geo.in_h &&
                                     x0 + (p->geo.k_w - 1) * p->geo.dil_w < p->geo.in_w;
                for (int32_t oc = 0; oc < out_c; oc += 4) {
                    const int32_t n = TQ_MIN(4, out_c - oc);
                    if (interior && n == 4) {
                        /* the common case, kept out of window4: whole rows, four channels */
                        const int8_t *wb = w + oc * filt_len;
                        for (int32_t j = 0; j < 4; ++j) {
                            acc[j] = p->bias_full[oc + j];
                        }
                        for (int32_t ky = 0; ky < p->geo.k_h; ++ky) {
                            const int8_t *row = in_b + ((y0 + ky * p->geo.dil_h) * p->geo.in_w + x0) * in_c;
                            for (int32_t r = 0; r < runs; ++r) {
                                tq_mve_dot4(row + r * p->geo.dil_w * in_c, wb + ky * tap_len + r * in_c, filt_len, run,
                                            acc);
                            }
                        }
                    } else {
                        window4(p, in_b, w + oc * filt_len, y0, x0, interior, oc, n, acc);
                    }
                    tq_mve_requant4(acc, p->mult + oc, p->shift + oc, n, p->output_offset, p->act_min, p->act_max,
                                    out + oc);
                }
            }
        }
    }
}
