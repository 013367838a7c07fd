#include "conv_2d_dsp.h"

#include "tq_common.h"
#include "tq_mm_dsp.h"
#include "conv_2d_dsp_window.h"

/* The outputs of a last block past out_c's multiple of 4. */
static void store_tail(const tq_conv_dsp_params *p, const int32_t *acc, int32_t oc, int32_t n, int8_t *out)
{
    for (int32_t j = 0; j < n; ++j) {
        out[j] = (int8_t)tq_rq_clamp(tq_rq_apply(&p->rq[oc + j], acc[j], p->output_offset, p->rq_exact),
                                     p->act_min, p->act_max);
    }
}

#if defined(__GNUC__) && defined(TQ_HAVE_DSP) && defined(__thumb2__)
/* A 1x1 convolution read in place, out_c a multiple of 4, the fast requantization over all of
 * int8: each output row in one asm call (widening, blocks and the pixel loop: tq_mm_row_full),
 * about 60 instructions a pixel fewer than the per-pixel calls. Its own function: the caller's
 * loops need every register (the Cortex-M55 build runs out). */
__attribute__((noinline)) static void direct_rows(const tq_conv_dsp_params *p, const int8_t *in, const int32_t *w,
                                                  int8_t *out, int32_t *col)
{
    const int32_t in_c = p->geo.in_c, out_c = p->geo.out_c, in_w = p->geo.in_w, out_w = p->geo.out_w;
    for (int32_t b = 0; b < p->geo.batches; ++b) {
        const int8_t *in_b = in + (int32_t)b * p->geo.in_h * in_w * in_c;
        for (int32_t oy = 0; oy < p->geo.out_h; ++oy, out += out_w * out_c) {
            tq_mm_row_fast(in_b + oy * p->geo.stride_h * in_w * in_c, p->geo.stride_w * in_c, out_w, col, w,
                           p->groups, out_c / 4, p->bias, p->rq, out);
        }
    }
}
#endif

void tq_conv_2d_dsp_s8(const tq_conv_dsp_params *p, const int8_t *in, const int32_t *w, const int8_t *residual,
                       int8_t *out, void *scratch)
{
    /* everything the loops need, in locals: stores through int8_t * would force reloads from *p */
    const int32_t in_c = p->geo.in_c, out_c = p->geo.out_c, groups = p->groups;
    const int32_t in_h = p->geo.in_h, in_w = p->geo.in_w, out_h = p->geo.out_h, out_w = p->geo.out_w;
    const int32_t zp = p->output_offset, lo = p->act_min, hi = p->act_max, exact = p->rq_exact;
    const int32_t mode = tq_rq_mode(exact, lo, hi);
    const tq_rq *rq = p->rq;
    const int32_t *bias = p->bias;
    const int32_t full_blocks = out_c / 4;
    int32_t *col = (int32_t *)scratch;                      /* 2 * groups words */
    int8_t *stage = (int8_t *)(col + 2 * groups);           /* 4 * groups bytes */
    /* A 1x1 stride-1 convolution over whole words reads each pixel's channels in place. */
    const int direct = p->direct;
    /* filter rows that are whole groups of 4 (contiguous when dil_w == 1), perhaps padded */
    const int32_t row_bytes = p->geo.k_w * in_c + p->row_pad;
    const int32_t row_groups = p->geo.dil_w == 1 && (row_bytes & 3) == 0 ? row_bytes / 4 : 0;
    /* a padded row reads row_pad bytes past its taps: never past the input's end */
    const int8_t *in_end = in + (int32_t)p->geo.batches * in_h * in_w * in_c;
    const int32_t row_step = p->geo.dil_h * in_w * in_c;
    /* with a fused ADD, a pixel's convolution outputs wait here (out may be the residual) */
    int8_t *conv_px = direct ? stage : stage + 4 * groups;
    int32_t o = 0;
#if defined(__GNUC__) && defined(TQ_HAVE_DSP) && defined(__thumb2__)
    if (direct && mode == TQ_RQ_FAST_FULL && (out_c & 3) == 0 && !p->add_conv_lut) {
        direct_rows(p, in, w, out, col);
        return;
    }
#endif
    for (int32_t b = 0; b < p->geo.batches; ++b) {
        const int8_t *in_b = in + (int32_t)b * in_h * in_w * in_c;
        for (int32_t oy = 0; oy < out_h; ++oy) {
            const int32_t y0 = oy * p->geo.stride_h - p->geo.pad_h;
            for (int32_t ox = 0; ox < out_w; ++ox) {
                const int32_t x0 = ox * p->geo.stride_w - p->geo.pad_w;
                if (direct) {
                    tq_mm_widen(in_b + (y0 * in_w + x0) * in_c, groups, col);
                } else if (row_groups && y0 >= 0 && x0 >= 0 && y0 + (p->geo.k_h - 1) * p->geo.dil_h < in_h &&
                           x0 + p->geo.k_w - 1 < in_w &&
                           in_b + ((y0 + (p->geo.k_h - 1) * p->geo.dil_h) * in_w + x0) * in_c + row_bytes <= in_end) {
                    /* no padding, rows of whole groups: widen each filter row straight from the input */
                    const int8_t *row = in_b + (y0 * in_w + x0) * in_c;
                    for (int32_t ky = 0; ky < p->geo.k_h; ++ky, row += row_step) {
                        tq_mm_widen(row, row_groups, col + 2 * ky * row_groups);
                    }
                } else {
                    tq_conv_gather(p, in_b, y0, x0, stage);
                    tq_mm_widen(stage, groups, col);
                }
                const int32_t *wb = w;
                int8_t *po = p->add_conv_lut ? conv_px : out + o;
                tq_mm_column(col, 0, wb, groups, full_blocks, bias, rq, zp, lo, hi, mode, po);
                wb += 8 * groups * full_blocks;
                for (int32_t oc = 4 * full_blocks; oc < out_c; oc += 4) {
                    int32_t acc[4] = {bias[oc], bias[oc + 1], bias[oc + 2], bias[oc + 3]};
                    wb = tq_mm_block4(col, wb, groups, &acc[0], &acc[1], &acc[2], &acc[3]);
                    store_tail(p, acc, oc, TQ_MIN(4, out_c - oc), po + oc);
                }
                if (p->add_conv_lut) {
                    tq_conv_add_pixel(p, conv_px, residual + o, out + o, out_c);
                }
                o += out_c;
            }
        }
    }
}
