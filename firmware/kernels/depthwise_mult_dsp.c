#include "tq_config.h"

#include "depthwise_mult_dsp.h"

/* 0 (tq_kernel_config.h): every blocked layer has its weights in tap pairs (p->pairs), so the
 * single-tap asm (tq_dwm_run2, 4, 4k) leaves the build; a layer without them would go wrong: the
 * generator decides. */
#ifndef TQ_DW_MULT_SINGLE
#define TQ_DW_MULT_SINGLE 1
#endif
/* 0: no blocked layer has them, so the tap-pair asm (tq_dwm_run2p, 4p, 4kp) leaves the build. */
#ifndef TQ_DW_MULT_PAIRS
#define TQ_DW_MULT_PAIRS 1
#endif

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

/* The input channel feeding output channel o of a block, for the C copy below. */
static inline int32_t in_channel(int32_t o, int32_t dm)
{
    return o / dm;
}

/* One pixel of the blocked kernel in C: every block of 4 output channels over the taps at
 * base + offs[t] + the block's input channel, in any requantization mode (the host's copy of the
 * asm, and the device's path where the fast requantization does not cover the layer). `base` is
 * the window origin of input channel 0; w per block, per tap, the 4 channels' weights. */
static void blocks_c(const tq_dw_taps_job *j, int32_t dm, int32_t zp, int32_t lo, int32_t hi, int32_t mode,
                     int32_t pairs)
{
    const int16_t *w = (const int16_t *)j->w;
    for (int32_t b = 0; b < j->blocks; ++b) {
        int32_t a[4] = {j->bias[4 * b], j->bias[4 * b + 1], j->bias[4 * b + 2], j->bias[4 * b + 3]};
        int32_t t = 0;
        for (; pairs && t + 1 < j->taps; t += 2, w += 8) {      /* the weights in tap pairs */
            const uintptr_t at = (uintptr_t)j->base + (uintptr_t)(intptr_t)j->offs[t];
            const uintptr_t at1 = (uintptr_t)j->base + (uintptr_t)(intptr_t)j->offs[t + 1];
            for (int32_t k = 0; k < 4; ++k) {
                const uintptr_t ic = (uintptr_t)in_channel(4 * b + k, dm);
                a[k] += (int32_t)w[2 * k] * (int32_t)*(const int8_t *)(at + ic) +
                        (int32_t)w[2 * k + 1] * (int32_t)*(const int8_t *)(at1 + ic);
            }
        }
        for (; t < j->taps; ++t, w += 4) {
            const uintptr_t at = (uintptr_t)j->base + (uintptr_t)(intptr_t)j->offs[t];
            for (int32_t k = 0; k < 4; ++k) {
                a[k] += (int32_t)w[k] * (int32_t)*(const int8_t *)(at + (uintptr_t)in_channel(4 * b + k, dm));
            }
        }
        tq_rq_store4(j->rq + 4 * b, a[0], a[1], a[2], a[3], zp, lo, hi, mode, j->out + 4 * b);
    }
}

#ifdef TQ_HAVE_DSP
TQ_DW_RUN_DEFINE(tq_dwm_run2, TQ_DWR_TAP_CH2, 2);      /* multiplier 2: 2 input channels a block */
TQ_DW_RUN_DEFINE(tq_dwm_run4, TQ_DWR_TAP_CH1, 1);      /* multiplier 4: 1 input channel a block */
TQ_DW_RUN_DEFINE(tq_dwm_run4k, TQ_DWR_TAP_CH1, 0);     /* multiplier 4k: one input channel's k blocks */
/* the same with the weights in tap pairs (p->pairs) */
TQ_DW_RUN_PAIRS_DEFINE(tq_dwm_run2p, TQ_DWR_PAIR_CH2, TQ_DWR_TAP_CH2, 2);
TQ_DW_RUN_PAIRS_DEFINE(tq_dwm_run4p, TQ_DWR_PAIR_CH1, TQ_DWR_TAP_CH1, 1);
TQ_DW_RUN_PAIRS_DEFINE(tq_dwm_run4kp, TQ_DWR_PAIR_CH1, TQ_DWR_TAP_CH1, 0);
#endif

void tq_depthwise_conv_2d_mult_blocks_dsp_s8(const tq_dw_mult_dsp_params *p, const int8_t *in, const int16_t *w,
                                             int8_t *out, void *scratch)
{
    const tq_window g = p->geo;
    const int32_t dm = p->depth_mult, in_c = g.in_c, out_c = g.out_c, taps = g.k_h * g.k_w;
    const int32_t zp = p->output_offset, lo = p->act_min, hi = p->act_max;
    const int32_t mode = tq_rq_mode(p->rq_exact, lo, hi);
    const int32_t row_stride = g.in_w * in_c, dy = g.dil_h * row_stride, dx = g.dil_w * in_c;
    /* what padding taps read (the input zero point, for any channel offset a block reads at),
     * then the tap tables (tq_dw_run.h) */
    int32_t *offs;
    const int8_t *padbuf = tq_dw_zero_points(scratch, in_c, p->input_offset, &offs);
    tq_dw_interior_offsets(offs, g.k_h, g.k_w, dy, dx);
#ifdef TQ_HAVE_DSP
    const int fast = mode == TQ_RQ_FAST_FULL && (dm == 2 || dm % 4 == 0);
    /* multipliers 2 and 4 with the weights in pairs: the interior columns run_a..run_b - 1 of a
     * row as one call (their windows, span columns wide, inside the image) */
    const int32_t sw = g.stride_w, span = (g.k_w - 1) * g.dil_w + 1;
    const int32_t run_a = (g.pad_w + sw - 1) / sw;
    const int32_t run_b = TQ_MIN(g.out_w, g.in_w - span + g.pad_w >= 0 ? (g.in_w - span + g.pad_w) / sw + 1 : 0);
    const int runs = fast && p->pairs && (dm == 2 || dm == 4) && run_b > run_a;
#endif
    for (int32_t b = 0; b < g.batches; ++b) {
        const int8_t *in_b = in + b * g.in_h * row_stride;
        for (int32_t oy = 0; oy < g.out_h; ++oy) {
            const int32_t y0 = oy * g.stride_h - g.pad_h;
            int32_t ky0, ky1;
            tq_tap_range(y0, g.dil_h, g.k_h, g.in_h, &ky0, &ky1);
#ifdef TQ_HAVE_DSP
            const int run_row = runs && ky0 == 0 && ky1 == g.k_h;
#endif
            for (int32_t ox = 0; ox < g.out_w; ++ox, out += out_c) {
#ifdef TQ_HAVE_DSP
                if (run_row && ox == run_a) {
                    const tq_dw_taps_job j = {offs, taps, in_b + y0 * row_stride + (ox * sw - g.pad_w) * in_c, w,
                                              p->bias_full, p->rq, out, out_c / 4, run_b - run_a, sw * in_c};
                    (dm == 2 ? tq_dwm_run2p : tq_dwm_run4p)(&j);
                    out += (run_b - run_a - 1) * out_c;
                    ox = run_b - 1;
                    continue;
                }
#endif
                const int32_t x0 = ox * g.stride_w - g.pad_w;
                int32_t kx0, kx1;
                tq_tap_range(x0, g.dil_w, g.k_w, g.in_w, &kx0, &kx1);
                /* pixel (y0, x0); only dereferenced at valid taps */
                const int8_t *base = in_b + y0 * row_stride + x0 * in_c;
                const int32_t *o = tq_dw_pixel_offsets(offs, g.k_h, g.k_w, ky0, ky1, kx0, kx1, padbuf, base);
                tq_dw_taps_job j = {o, taps, base, w, p->bias_full, p->rq, out, out_c / 4, 1, 0};
#ifdef TQ_HAVE_DSP
                if (fast && dm == 2) {
                    (TQ_DW_MULT_PAIRS && (p->pairs || !TQ_DW_MULT_SINGLE) ? tq_dwm_run2p : tq_dwm_run2)(&j);
                    continue;
                }
                if (fast && dm == 4) {
                    (TQ_DW_MULT_PAIRS && (p->pairs || !TQ_DW_MULT_SINGLE) ? tq_dwm_run4p : tq_dwm_run4)(&j);
                    continue;
                }
                if (fast) {     /* one input channel's dm / 4 blocks a call */
                    j.blocks = dm / 4;
                    for (int32_t ic = 0; ic < in_c; ++ic) {
                        j.base = base + ic;
                        j.w = w + ic * dm * taps;
                        j.bias = p->bias_full + ic * dm;
                        j.rq = p->rq + ic * dm;
                        j.out = out + ic * dm;
                        (TQ_DW_MULT_PAIRS && (p->pairs || !TQ_DW_MULT_SINGLE) ? tq_dwm_run4kp : tq_dwm_run4k)(&j);
                    }
                    continue;
                }
#endif
                blocks_c(&j, dm, zp, lo, hi, mode, p->pairs);
            }
        }
    }
}
