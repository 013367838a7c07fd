/* What the two DSP CONV_2D kernels (conv_2d_dsp.c, int16-widened weights; conv_2d_dsp8.c, int8
 * weights) share: gathering one output pixel's window into scratch, and the fused residual ADD.
 * Static functions, one copy per kernel file that includes this header. */
#ifndef TQ_CONV_2D_DSP_WINDOW_H
#define TQ_CONV_2D_DSP_WINDOW_H

#include <stdint.h>

#include "conv_2d_dsp.h"
#include "tq_common.h"
#include "tq_config.h"
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

/* Kernel switches (tinyq/ops/kernel_config.py), one per form of the fused ADD's tables, each
 * left out where no fused ADD of the model's DSP convolutions takes it (a layer that did would go
 * wrong: the generator decides from the layers it lowers): TQ_CONV_ADD_SUM16 (TQ_ADD_FORM_SUM16),
 * TQ_CONV_ADD_SUM32 (TQ_ADD_FORM_SUM32), TQ_CONV_ADD_EXACT (TQ_ADD_FORM_EXACT). */
#ifndef TQ_CONV_ADD_SUM16
#define TQ_CONV_ADD_SUM16 1
#endif
#ifndef TQ_CONV_ADD_SUM32
#define TQ_CONV_ADD_SUM32 1
#endif
#ifndef TQ_CONV_ADD_EXACT
#define TQ_CONV_ADD_EXACT 1
#endif

#if defined(__GNUC__) && defined(TQ_HAVE_DSP) && defined(__thumb2__)
#define TQ_ADD_STR_(x) #x
#define TQ_ADD_STR(x) TQ_ADD_STR_(x)
/* Two elements: their bytes' LDRBs (post-increment: no pointer arithmetic, no extraction from a
 * word), their entries' loads (LD: ldrsh / ldr, SCALE its log2 size), ADD, SSAT (SHIFT folded in),
 * STRB. Each element's residual is read before its sum is stored (r may be out itself). */
#define TQ_ADD_SUM_PAIR(LD, SCALE, SHIFT)                       \
    "ldrb %[a0], [%[v]], #1\n\t"                                \
    "ldrb %[b0], [%[r]], #1\n\t"                                \
    "ldrb %[a1], [%[v]], #1\n\t"                                \
    "ldrb %[b1], [%[r]], #1\n\t"                                \
    LD " %[a0], [%[ta], %[a0], lsl #" SCALE "]\n\t"             \
    LD " %[b0], [%[tb], %[b0], lsl #" SCALE "]\n\t"             \
    LD " %[a1], [%[ta], %[a1], lsl #" SCALE "]\n\t"             \
    LD " %[b1], [%[tb], %[b1], lsl #" SCALE "]\n\t"             \
    "add %[a0], %[a0], %[b0]\n\t"                               \
    "add %[a1], %[a1], %[b1]\n\t"                               \
    "ssat %[a0], #8, %[a0], asr #" SHIFT "\n\t"                 \
    "ssat %[a1], #8, %[a1], asr #" SHIFT "\n\t"                 \
    "strb %[a0], [%[o]], #1\n\t"                                \
    "strb %[a1], [%[o]], #1\n\t"

/* out[i] = SSAT8((ta[v[i]] + tb[r[i]]) >> SHIFT) for n >= 0 elements, bytes read unsigned: 7
 * instructions an element and 2 a pass of 4, then the last n % 4 one by one. */
#define TQ_ADD_SUM_LOOP(LD, SCALE, SHIFT)                       \
    __asm__ volatile(                                           \
        "subs %[n], %[n], #4\n\t"                               \
        "blt 2f\n"                                              \
        "1:\n\t"                                                \
        TQ_ADD_SUM_PAIR(LD, SCALE, SHIFT)                       \
        TQ_ADD_SUM_PAIR(LD, SCALE, SHIFT)                       \
        "subs %[n], %[n], #4\n\t"                               \
        "bge 1b\n"                                              \
        "2:\n\t"                                                \
        "adds %[n], %[n], #4\n\t"                               \
        "beq 4f\n"                                              \
        "3:\n\t"                                                \
        "ldrb %[a0], [%[v]], #1\n\t"                            \
        "ldrb %[b0], [%[r]], #1\n\t"                            \
        LD " %[a0], [%[ta], %[a0], lsl #" SCALE "]\n\t"         \
        LD " %[b0], [%[tb], %[b0], lsl #" SCALE "]\n\t"         \
        "add %[a0], %[a0], %[b0]\n\t"                           \
        "ssat %[a0], #8, %[a0], asr #" SHIFT "\n\t"             \
        "strb %[a0], [%[o]], #1\n\t"                            \
        "subs %[n], %[n], #1\n\t"                               \
        "bne 3b\n"                                              \
        "4:\n"                                                  \
        : [v] "+r"(v), [r] "+r"(r), [o] "+r"(out), [n] "+r"(n), \
          [a0] "=&r"(a0), [b0] "=&r"(b0), [a1] "=&r"(a1), [b1] "=&r"(b1) \
        : [ta] "r"(ta), [tb] "r"(tb)                            \
        : "cc", "memory")

/* The asm loop as a function of its tables' entry type */
#define TQ_ADD_SUM_FUNCTION(NAME, T, LD, SCALE, SHIFT)                                                     \
    static void NAME(const T *ta, const T *tb, const uint8_t *v, const uint8_t *r, int8_t *out, int32_t n) \
    {                                                                                                      \
        int32_t a0, b0, a1, b1;                                                                            \
        TQ_ADD_SUM_LOOP(LD, SCALE, TQ_ADD_STR(SHIFT));                                                     \
    }
#if TQ_CONV_ADD_SUM16
TQ_ADD_SUM_FUNCTION(tq_conv_add_sum16, int16_t, "ldrsh", "1", TQ_ADD_SUM16_SHIFT)
#endif
#if TQ_CONV_ADD_SUM32
TQ_ADD_SUM_FUNCTION(tq_conv_add_sum32, int32_t, "ldr", "2", TQ_ADD_SUM32_SHIFT)
#endif
#endif

/* out[i] = ADD(v[i], residual[i]) for n >= 0 elements; residual may be out itself. The sum forms
 * over all of int8 (the common case: what the converter makes of a fused RELU too) take the asm
 * loop; an activation range that clamps, TFLM's arithmetic or the host, the C loops. */
#if defined(__GNUC__) && defined(TQ_HAVE_DSP)
__attribute__((noinline))
#endif
static void tq_conv_add_run(const tq_conv_dsp_params *p, const int8_t *v, const int8_t *residual, int8_t *out, int32_t n)
{
    const uint8_t *cv = (const uint8_t *)v, *rv = (const uint8_t *)residual;
#if defined(__GNUC__) && defined(TQ_HAVE_DSP) && defined(__thumb2__)
    if (p->add_min <= -128 && p->add_max >= 127) {
#if TQ_CONV_ADD_SUM16
        if (p->add_form == TQ_ADD_FORM_SUM16) {
            tq_conv_add_sum16((const int16_t *)p->add_conv_lut, (const int16_t *)p->add_res_lut, cv, rv, out, n);
            return;
        }
#endif
#if TQ_CONV_ADD_SUM32
        if (p->add_form == TQ_ADD_FORM_SUM32) {
            tq_conv_add_sum32((const int32_t *)p->add_conv_lut, (const int32_t *)p->add_res_lut, cv, rv, out, n);
            return;
        }
#endif
    }
#endif
    /* the constants in locals: stores through int8_t * would force reloads from *p */
    const void *ta = p->add_conv_lut, *tb = p->add_res_lut;
    const int32_t form = p->add_form, lo = p->add_min, hi = p->add_max;
    if (TQ_CONV_ADD_EXACT && form == TQ_ADD_FORM_EXACT) {
        const tq_rq q = p->add_rq;
        const int32_t zp = p->add_zp;
        for (int32_t i = 0; i < n; ++i) {
            const int32_t s = ((const int32_t *)ta)[cv[i]] + ((const int32_t *)tb)[rv[i]];
            out[i] = (int8_t)tq_rq_clamp(tq_rq_exact(&q, s, zp), lo, hi);
        }
        return;
    }
    const int32_t wide = TQ_CONV_ADD_SUM32 && form == TQ_ADD_FORM_SUM32;
    const int32_t shift = wide ? TQ_ADD_SUM32_SHIFT : TQ_ADD_SUM16_SHIFT;
    for (int32_t i = 0; i < n; ++i) {
        const int32_t s = wide ? ((const int32_t *)ta)[cv[i]] + ((const int32_t *)tb)[rv[i]]
                               : ((const int16_t *)ta)[cv[i]] + ((const int16_t *)tb)[rv[i]];
        out[i] = (int8_t)tq_rq_clamp(s >> shift, lo, hi);    /* SSAT, then the activation range */
    }
}

#endif
