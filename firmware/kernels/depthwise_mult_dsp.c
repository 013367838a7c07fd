#include "depthwise_mult_dsp.h"

/* Two or four outputs of one input channel, accumulated in registers over the clipped window:
 * weight pairs feed SMLABB / SMLABT with the input value (plus its offset) in the bottom half. */
static void outputs2(const int8_t *px0, const int16_t *wk0, int32_t ny, int32_t nx, int32_t y_step,
                     int32_t x_step, int32_t w_row, int32_t out_c, int32_t off, int32_t *acc)
{
    int32_t a0 = acc[0], a1 = acc[1];
    for (int32_t ky = 0; ky < ny; ++ky, px0 += y_step, wk0 += w_row) {
        const int8_t *px = px0;
        const int16_t *wk = wk0;
        for (int32_t kx = 0; kx < nx; ++kx, px += x_step, wk += out_c) {
            const int32_t xv = (int32_t)*px + off, w01 = tq_read_s32(wk);
            a0 = tq_smlabb(xv, w01, a0);
            a1 = tq_smlabt(xv, w01, a1);
        }
    }
    acc[0] = a0;
    acc[1] = a1;
}

static void outputs4(const int8_t *px0, const int16_t *wk0, int32_t ny, int32_t nx, int32_t y_step,
                     int32_t x_step, int32_t w_row, int32_t out_c, int32_t off, int32_t *acc)
{
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    for (int32_t ky = 0; ky < ny; ++ky, px0 += y_step, wk0 += w_row) {
        const int8_t *px = px0;
        const int16_t *wk = wk0;
        for (int32_t kx = 0; kx < nx; ++kx, px += x_step, wk += out_c) {
            const int32_t xv = (int32_t)*px + off, w01 = tq_read_s32(wk), w23 = tq_read_s32(wk + 2);
            a0 = tq_smlabb(xv, w01, a0);
            a1 = tq_smlabt(xv, w01, a1);
            a2 = tq_smlabb(xv, w23, a2);
            a3 = tq_smlabt(xv, w23, a3);
        }
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}

void tq_depthwise_conv_2d_mult_dsp_s8(const tq_dw_mult_dsp_params *p, const int8_t *in, const int16_t *w16,
                                      int8_t *out)
{
    /* everything in locals: int8 stores may alias any field of the parameter struct */
    const tq_window g = p->geo;
    const int32_t dm = p->depth_mult, in_c = g.in_c, out_c = g.out_c, in_w = g.in_w;
    const int32_t zp = p->output_offset, lo = p->act_min, hi = p->act_max, exact = p->rq_exact;
    const int32_t x_step = g.dil_w * in_c, y_step = g.dil_h * in_w * in_c, w_row = g.k_w * out_c;
    const tq_rq *rq = p->rq;
    for (int32_t b = 0; b < g.batches; ++b) {
        const int8_t *in_b = in + b * g.in_h * in_w * in_c;
        for (int32_t oy = 0; oy < g.out_h; ++oy) {
            const int32_t y0 = oy * g.stride_h - g.pad_h;
            int32_t ky0, ky1;
            tq_tap_range(y0, g.dil_h, g.k_h, g.in_h, &ky0, &ky1);
            for (int32_t ox = 0; ox < g.out_w; ++ox, out += out_c) {
                const int32_t x0 = ox * g.stride_w - g.pad_w;
                int32_t kx0, kx1;
                tq_tap_range(x0, g.dil_w, g.k_w, in_w, &kx0, &kx1);
                const int interior = ky0 == 0 && ky1 == g.k_h && kx0 == 0 && kx1 == g.k_w;
                const int32_t off = interior ? 0 : p->input_offset;
                const int32_t *bias = interior ? p->bias_full : p->bias;
                const int8_t *base = in_b + ((y0 + ky0 * g.dil_h) * in_w + x0 + kx0 * g.dil_w) * in_c;
                const int16_t *wbase = w16 + ky0 * w_row + kx0 * out_c;
                const int32_t ny = ky1 - ky0, nx = kx1 - kx0;
                for (int32_t ic = 0; ic < in_c; ++ic) {
                    const int32_t c0 = ic * dm;
                    int32_t acc[32];
                    for (int32_t m = 0; m < dm; ++m) {
                        acc[m] = bias[c0 + m];
                    }
                    if (dm % 4 == 0) {
                        for (int32_t m0 = 0; m0 < dm; m0 += 4) {
                            outputs4(base + ic, wbase + c0 + m0, ny, nx, y_step, x_step, w_row, out_c, off, acc + m0);
                        }
                    } else if (dm % 2 == 0) {
                        for (int32_t m0 = 0; m0 < dm; m0 += 2) {
                            outputs2(base + ic, wbase + c0 + m0, ny, nx, y_step, x_step, w_row, out_c, off, acc + m0);
                        }
                    } else {
                        /* any other multiplier: one output at a time */
                        for (int32_t m = 0; m < dm; ++m) {
                            const int8_t *px0 = base + ic;
                            const int16_t *wk0 = wbase + c0 + m;
                            int32_t a = acc[m];
                            for (int32_t ky = 0; ky < ny; ++ky, px0 += y_step, wk0 += w_row) {
                                for (int32_t kx = 0; kx < nx; ++kx) {
                                    a += (int32_t)wk0[kx * out_c] * ((int32_t)px0[kx * x_step] + off);
                                }
                            }
                            acc[m] = a;
                        }
                    }
                    for (int32_t m = 0; m < dm; ++m) {
                        out[c0 + m] = (int8_t)tq_rq_clamp(tq_rq_apply(&rq[c0 + m], acc[m], zp, exact), lo, hi);
                    }
                }
            }
        }
    }
}
