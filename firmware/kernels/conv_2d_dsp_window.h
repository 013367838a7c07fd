/* What the two DSP CONV_2D kernels (conv_2d_dsp.c, int16-widened weights; conv_2d_dsp8.c, int8
 * weights) share: gathering one output pixel's window into scratch, and the fused residual ADD.
 * Static functions, one copy per kernel file that includes this header. */
#ifndef TQ_CONV_2D_DSP_WINDOW_H
#define TQ_CONV_2D_DSP_WINDOW_H

#include <stdint.h>

#include "conv_2d_dsp.h"
#include "tq_common.h"
#include "tq_mm_dsp.h"

/* Gather the window of the output pixel whose top-left tap is (y0, x0) into stage[], tap by tap
 * in the weights' (ky, kx, ic) order; taps outside the image read the input zero point. With
 * p->row_pad, every filter row is followed by that many spare bytes (zero weights). */
static void tq_conv_gather(const tq_conv_dsp_params *p, const int8_t *in_b, int32_t y0, int32_t x0, int8_t *stage)
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
static inline int8_t tq_conv_add_one(const tq_conv_dsp_params *p, int32_t v, int32_t r)
{
    const int32_t sum = p->add_conv_lut[v + TQ_ADD_LUT_ZERO] + p->add_res_lut[r + TQ_ADD_LUT_ZERO];
    const int32_t y = p->add_exact ? tq_rq_exact(&p->add_rq, sum, p->add_zp) : tq_rq_fast(&p->add_rq, sum);
    return (int8_t)tq_rq_clamp(y, p->add_min, p->add_max);
}

/* out[i] = ADD(v[i], residual[i]) for one pixel's n channels; residual may be out itself. */
#if defined(__GNUC__) && defined(TQ_HAVE_DSP)
__attribute__((noinline))
#endif
static void tq_conv_add_pixel(const tq_conv_dsp_params *p, const int8_t *v, const int8_t *residual, int8_t *out, int32_t n)
{
    if (p->add_exact) {
        for (int32_t i = 0; i < n; ++i) {
            out[i] = tq_conv_add_one(p, v[i], residual[i]);
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

#endif
