#include "conv_2d_dsp.h"

#include "tq_common.h"
#include "tq_mm_dsp.h"

/* Gather the window of the output pixel whose top-left tap is (y0, x0) into stage[], tap by tap
 * in the weights' (ky, kx, ic) order; taps outside the image read the input zero point. With
 * p->row_pad, every filter row is followed by that many spare bytes (zero weights). */
static void gather(const tq_conv_dsp_params *p, const int8_t *in_b, int32_t y0, int32_t x0, int8_t *stage)
{
    const int32_t in_c = p->geo.in_c;
    const int8_t pad = (int8_t)p->pad_value;
    int8_t *start = stage;
    const int row_inside = x0 >= 0 && x0 + (p->geo.k_w - 1) * p->geo.dil_w < p->geo.in_w;
    for (int32_t ky = 0; ky < p->geo.k_h; ++ky) {
        const int32_t y = y0 + ky * p->geo.dil_h;
        if (y < 0 || y >= p->geo.in_h) {
            tq_mm_fill(stage, pad, p->geo.k_w * in_c);
            stage += p->geo.k_w * in_c;
        } else if (row_inside && p->geo.dil_w == 1) {
            tq_mm_copy(stage, in_b + (y * p->geo.in_w + x0) * in_c, p->geo.k_w * in_c);
            stage += p->geo.k_w * in_c;
        } else {
            const int8_t *row = in_b + (y * p->geo.in_w) * in_c;
            for (int32_t kx = 0; kx < p->geo.k_w; ++kx) {
                const int32_t x = x0 + kx * p->geo.dil_w;
                if (x < 0 || x >= p->geo.in_w) {
                    tq_mm_fill(stage, pad, in_c);
                } else {
                    tq_mm_copy(stage, row + x * in_c, in_c);
                }
                stage += in_c;
            }
        }
        tq_mm_fill(stage, 0, p->row_pad);
        stage += p->row_pad;
    }
    /* the last group's spare taps meet zero weights; any value will do */
    tq_mm_fill(stage, 0, 4 * p->groups - (int32_t)(stage - start));
}

/* The fused ADD of one convolution output v and its residual r. */
static inline int8_t add_one(const tq_conv_dsp_params *p, int32_t v, int32_t r)
{
    const int32_t sum = p->add_conv_lut[v + TQ_ADD_LUT_ZERO] + p->add_res_lut[r + TQ_ADD_LUT_ZERO];
    const int32_t y = p->add_exact ? tq_rq_exact(&p->add_rq, sum, p->add_zp) : tq_rq_fast(&p->add_rq, sum);
    return (int8_t)tq_rq_clamp(y, p->add_min, p->add_max);
}

/* out[i] = ADD(v[i], residual[i]) for one pixel's n channels; residual may be out itself. */
#if defined(__GNUC__) && defined(TQ_HAVE_DSP)
__attribute__((noinline))
#endif
static void add_pixel(const tq_conv_dsp_params *p, const int8_t *v, const int8_t *residual, int8_t *out, int32_t n)
{
    if (p->add_exact) {
        for (int32_t i = 0; i < n; ++i) {
            out[i] = add_one(p, v[i], residual[i]);
        }
        return;
    }
    /* the common case with its constants in locals: about a dozen instructions an element */
    const int32_t *clut = p->add_conv_lut + TQ_ADD_LUT_ZERO, *rlut = p->add_res_lut + TQ_ADD_LUT_ZERO;
    const tq_rq q = p->add_rq;
    const int32_t lo = p->add_min, hi = p->add_max;
    for (int32_t i = 0; i < n; ++i) {
        const int32_t y = tq_rq_fast(&q, clut[v[i]] + rlut[residual[i]]);
        out[i] = (int8_t)tq_rq_clamp(y, lo, hi);
    }
}

/* The outputs of a last block past out_c's multiple of 4. */
static void store_tail(const tq_conv_dsp_params *p, const int32_t *acc, int32_t oc, int32_t n, int8_t *out)
{
    for (int32_t j = 0; j < n; ++j) {
        out[j] = (int8_t)tq_rq_clamp(tq_rq_apply(&p->rq[oc + j], acc[j], p->output_offset, p->rq_exact),
                                     p->act_min, p->act_max);
    }
}

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
                    gather(p, in_b, y0, x0, stage);
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
                    add_pixel(p, conv_px, residual + o, out + o, out_c);
                }
                o += out_c;
            }
        }
    }
}
