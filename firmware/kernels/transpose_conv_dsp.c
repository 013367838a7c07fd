#include "transpose_conv_dsp.h"

#include "tq_common.h"
#include "tq_mm_dsp.h"

/* col = the pixel's in_c channels widened (tq_mm_dsp.h's pair order), each plus off2's halfwords
 * (0 or the input offset in both halves); channels past in_c are taken as 0 (their weights are 0). */
static void widen_pixel(const int8_t *px, int32_t in_c, int32_t groups, int32_t off2, int8_t *stage, int32_t *col)
{
    if (in_c & 3) {
        tq_mm_copy(stage, px, in_c);
        tq_mm_fill(stage + in_c, 0, 4 * groups - in_c);
        px = stage;
    }
    if (off2 == 0) {
        tq_mm_widen(px, groups, col);
        return;
    }
    for (int32_t g = 0; g < groups; ++g, px += 4, col += 2) {
        const int32_t v = tq_read_s32(px);
        /* |x + offset| <= 255: the halfword sums cannot overflow */
        col[0] = tq_sadd16(tq_sxtb16(v), off2);
        col[1] = tq_sadd16(tq_sxtb16_ror8(v), off2);
    }
}

/* The requantized outputs of channels oc .. oc + n - 1 (n < 4: a last block past out_c's multiple of 4). */
static void store_tail(const tq_transpose_conv_dsp_params *p, const int32_t *acc, int32_t oc, int32_t n, int8_t *out)
{
    for (int32_t j = 0; j < n; ++j) {
        out[j] = (int8_t)tq_rq_clamp(tq_rq_apply(&p->rq[oc + j], acc[j], p->output_offset, p->rq_exact),
                                     p->act_min, p->act_max);
    }
}

#if defined(__GNUC__) && defined(TQ_HAVE_DSP) && defined(__thumb2__)
/* Direct, whole groups and blocks, the fast requantization over all of int8: the outputs of tap
 * row ky over input row y are one whole output row (pixel x's k_w taps side by side), so each is
 * one asm call over the input row (tq_mm_row_full: k_w * out_c / 4 blocks a pixel, the bias and
 * rq rows of the k_w taps following each other). Its own function, as conv_2d_dsp.c's. */
__attribute__((noinline)) static void direct_rows(const tq_transpose_conv_dsp_params *p, const int8_t *in,
                                                  const int32_t *w, int8_t *out, int32_t *col)
{
    const tq_window *g = &p->geo;
    const int32_t in_c = g->in_c, out_c = g->out_c, groups = p->groups, k_w = g->k_w;
    const int32_t blocks = k_w * out_c / 4;           /* one tap row's */
    const int32_t row = g->out_w * out_c;
    for (int32_t r = 0; r < g->batches * g->in_h; ++r, in += g->in_w * in_c) {
        for (int32_t ky = 0; ky < g->k_h; ++ky, out += row) {
            tq_mm_row_fast(in, in_c, g->in_w, col, w + 8 * groups * blocks * ky, groups, blocks,
                           p->bias + ky * k_w * out_c, p->rq, out);
        }
    }
}
#endif

/* k == stride, no padding: each tap of each input pixel is a whole output pixel; with out_c a
 * multiple of 4, the k_w taps of one filter row are one column's blocks side by side. */
static void direct_pixels(const tq_transpose_conv_dsp_params *p, const int8_t *in, const int32_t *w, int8_t *out,
                          int32_t *col, int8_t *stage)
{
    const tq_window *g = &p->geo;
    const int32_t in_c = g->in_c, out_c = g->out_c, groups = p->groups, k_h = g->k_h, k_w = g->k_w;
    const int32_t zp = p->output_offset, lo = p->act_min, hi = p->act_max;
    const int32_t mode = tq_rq_mode(p->rq_exact, lo, hi);
    const int32_t full = out_c / 4, oc4 = (out_c + 3) & ~3;
    const int32_t tap_words = 8 * groups * (oc4 / 4);
    const int32_t row = g->out_w * out_c;     /* bytes of one output row */
    const int32_t whole = (out_c & 3) == 0;
#if defined(__GNUC__) && defined(TQ_HAVE_DSP) && defined(__thumb2__)
    if (whole && (in_c & 3) == 0 && mode == TQ_RQ_FAST_FULL) {
        direct_rows(p, in, w, out, col);
        return;
    }
#endif
    for (int32_t b = 0; b < g->batches; ++b) {
        for (int32_t y = 0; y < g->in_h; ++y) {
            int8_t *out_y = out + ((int32_t)b * g->out_h + y * k_h) * row;
            for (int32_t x = 0; x < g->in_w; ++x, in += in_c) {
                widen_pixel(in, in_c, groups, 0, stage, col);
                const int32_t *wt = w;
                const int32_t *bt = p->bias;
                for (int32_t ky = 0; ky < k_h; ++ky) {
                    int8_t *po = out_y + ky * row + x * k_w * out_c;
                    if (whole) {
                        tq_mm_column(col, 0, wt, groups, k_w * full, bt, p->rq, zp, lo, hi, mode, po);
                        wt += k_w * tap_words;
                        bt += k_w * oc4;
                        continue;
                    }
                    for (int32_t kx = 0; kx < k_w; ++kx, po += out_c, wt += tap_words, bt += oc4) {
                        tq_mm_column(col, 0, wt, groups, full, bt, p->rq, zp, lo, hi, mode, po);
                        const int32_t oc = full * 4;
                        int32_t acc[4] = {bt[oc], bt[oc + 1], bt[oc + 2], bt[oc + 3]};
                        tq_mm_block4(col, wt + 8 * groups * full, groups, &acc[0], &acc[1], &acc[2], &acc[3]);
                        store_tail(p, acc, oc, out_c - oc, po + oc);
                    }
                }
            }
        }
    }
}

void tq_transpose_conv_dsp_s8(const tq_transpose_conv_dsp_params *p, const int8_t *in, const int32_t *w,
                              int8_t *out, void *scratch)
{
    const tq_window *g = &p->geo;
    const int32_t in_c = g->in_c, out_c = g->out_c, groups = p->groups;
    const int32_t full = out_c / 4, oc4 = (out_c + 3) & ~3;
    const int32_t tap_words = 8 * groups * (oc4 / 4);
    if (p->direct) {
        int32_t *col = (int32_t *)scratch;
        direct_pixels(p, in, w, out, col, (int8_t *)(col + 2 * groups));
        return;
    }
    const int32_t pixels = (int32_t)g->batches * g->out_h * g->out_w;
    int32_t *acc = (int32_t *)scratch;
    int32_t *col = acc + pixels * out_c;
    int8_t *stage = (int8_t *)(col + 2 * groups);
    const int32_t off2 = (int32_t)((uint32_t)(uint16_t)(int16_t)p->input_offset * 0x10001u);   /* both halfwords */
    /* every accumulator starts at its channel's (scaled) bias */
    for (int32_t i = 0, *a = acc; i < pixels; ++i) {
        for (int32_t oc = 0; oc < out_c; ++oc) {
            *a++ = p->bias[oc];
        }
    }
    for (int32_t b = 0; b < g->batches; ++b) {
        int32_t *acc_b = acc + (int32_t)b * g->out_h * g->out_w * out_c;
        for (int32_t y = 0; y < g->in_h; ++y) {
            const int32_t oy0 = y * g->stride_h - g->pad_h;
            const int32_t ky_lo = oy0 < 0 ? -oy0 : 0;
            const int32_t ky_hi = oy0 + g->k_h > g->out_h ? g->out_h - oy0 : g->k_h;
            for (int32_t x = 0; x < g->in_w; ++x, in += in_c) {
                const int32_t ox0 = x * g->stride_w - g->pad_w;
                const int32_t kx_lo = ox0 < 0 ? -ox0 : 0;
                const int32_t kx_hi = ox0 + g->k_w > g->out_w ? g->out_w - ox0 : g->k_w;
                if (ky_lo >= ky_hi || kx_lo >= kx_hi) {
                    continue;
                }
                widen_pixel(in, in_c, groups, off2, stage, col);
                for (int32_t ky = ky_lo; ky < ky_hi; ++ky) {
                    int32_t *a = acc_b + ((oy0 + ky) * g->out_w + ox0 + kx_lo) * out_c;
                    const int32_t *wt = w + (ky * g->k_w + kx_lo) * tap_words;
                    for (int32_t kx = kx_lo; kx < kx_hi; ++kx, a += out_c) {
                        int32_t *ab = a;
                        for (int32_t blk = 0; blk < full; ++blk, ab += 4) {
                            wt = tq_mm_block4(col, wt, groups, &ab[0], &ab[1], &ab[2], &ab[3]);
                        }
                        if (full * 4 < out_c) {
                            const int32_t n = out_c - full * 4;
                            int32_t t[4] = {0, 0, 0, 0};
                            for (int32_t j = 0; j < n; ++j) {
                                t[j] = ab[j];
                            }
                            wt = tq_mm_block4(col, wt, groups, &t[0], &t[1], &t[2], &t[3]);
                            for (int32_t j = 0; j < n; ++j) {
                                ab[j] = t[j];
                            }
                        }
                    }
                }
            }
        }
    }
    const int32_t zp = p->output_offset, lo = p->act_min, hi = p->act_max;
    const int32_t mode = tq_rq_mode(p->rq_exact, lo, hi);
    for (int32_t i = 0; i < pixels; ++i, acc += out_c, out += out_c) {
        const tq_rq *rq = p->rq;
        for (int32_t oc = 0; oc < full * 4; oc += 4, rq += 4) {
            tq_rq_store4(rq, acc[oc], acc[oc + 1], acc[oc + 2], acc[oc + 3], zp, lo, hi, mode, out + oc);
        }
        if (full * 4 < out_c) {
            store_tail(p, acc + full * 4, full * 4, out_c - full * 4, out + full * 4);
        }
    }
}
