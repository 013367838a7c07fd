/* The DSP CONV_2D kernels' column staging for layers over few input channels (1-4: first layers
 * over RGB or grey images, spectrograms), p->cols (tinyq/ops/conv_2d.py _cols).
 *
 * Such a layer's filter rows are short (3x3 over 3 channels: 9 bytes), so widening them in place
 * pads every row to whole groups of 4 (27 taps become 36) and the border pixels take the slow
 * gather. Instead, each output row first copies the input its pixels read into scratch column
 * by column: input column x (from -pad_w on) as its k_h taps' in_c channels, k_h * in_c bytes,
 * taps outside the image reading the pad value. A pixel's window is then k_w consecutive columns,
 * one contiguous run of k_h * k_w * in_c bytes (its weights in (kx, ky, ic) order, padded to a
 * whole group once: 27 -> 28), the next pixel's stride_w columns further, and every pixel of the
 * row, borders included, is widened straight from the staging (one row of groups). Static
 * functions, one copy per kernel file that includes this header. */
#ifndef TQ_CONV_2D_DSP_COLS_H
#define TQ_CONV_2D_DSP_COLS_H

#include <stdint.h>
#include <string.h>

#include "conv_2d_dsp.h"
#include "tq_common.h"
#include "tq_dsp.h"
#include "tq_mm_dsp.h"

/* filter rows the staging takes (a column's row pointers live on the stack); _cols in
 * tinyq/ops/conv_2d.py keeps to it */
#define TQ_CONV_COLS_MAX_KH 16

/* Input columns one output row reads. */
static inline int32_t tq_conv_cols_count(const tq_conv_dsp_params *p)
{
    return (p->geo.out_w - 1) * p->geo.stride_w + p->geo.k_w;
}

/* The staging's bytes: its columns, then 4 spare bytes (the last window's padding to whole groups
 * reads up to 3 past its taps), rounded to a word so that the widened column after it stays
 * word-aligned (cols_bytes in tinyq/ops/conv_2d.py). */
static inline int32_t tq_conv_cols_bytes(const tq_conv_dsp_params *p)
{
    return (tq_conv_cols_count(p) * p->geo.k_h * p->geo.in_c + 4 + 3) & ~3;
}

/* n taps of c bytes from src (c apart) to dst (step apart). The word read carries 4 - c bytes
 * beyond the tap; with spill they are stored too, landing in a later tap of the same column
 * (written after this one), else only the tap's c bytes go out. src + 4 never passes the input's
 * end (the caller copies the last tap byte by byte where it would). */
TQ_ALWAYS_INLINE static inline void tq_conv_cols_tap(int8_t *dst, int32_t v, int32_t c, int32_t spill)
{
    if (spill || c == 4) {
        memcpy(dst, &v, 4);
    } else if (c == 3) {
        memcpy(dst, &v, 2);
        dst[2] = (int8_t)(v >> 16);
    } else if (c == 2) {
        memcpy(dst, &v, 2);
    } else {
        dst[0] = (int8_t)v;
    }
}

TQ_ALWAYS_INLINE static inline void tq_conv_cols_taps(int8_t *dst, const int8_t *src, int32_t n, int32_t step,
                                                     int32_t c, int32_t spill)
{
    /* two taps an iteration: the loop's count and branch once for both */
    for (; n >= 2; n -= 2, src += 2 * c, dst += 2 * step) {
        const int32_t v0 = tq_read_s32(src), v1 = tq_read_s32(src + c);
        tq_conv_cols_tap(dst, v0, c, spill);
        tq_conv_cols_tap(dst + step, v1, c, spill);
    }
    if (n) {
        tq_conv_cols_tap(dst, tq_read_s32(src), c, spill);
    }
}

/* n pad taps of c bytes (step apart). */
static void tq_conv_cols_pad(int8_t *dst, int8_t pad, int32_t n, int32_t step, int32_t c)
{
    for (; n > 0; --n, dst += step) {
        tq_mm_fill(dst, pad, c);
    }
}

/* Stage the input of the output row whose windows start at input row y0 (batch in_b) into cs:
 * column j is input column j - pad_w, k_h * in_c bytes (tap ky at ky * in_c). */
static void tq_conv_cols(const tq_conv_dsp_params *p, const int8_t *in_b, const int8_t *in_end, int32_t y0,
                         int8_t *cs)
{
    const int32_t c = p->geo.in_c, in_w = p->geo.in_w, k_h = p->geo.k_h, ch = k_h * c;
    const int32_t ncols = tq_conv_cols_count(p), x_lo = -p->geo.pad_w;
    const int8_t pad = (int8_t)p->pad_value;
    /* the columns inside the image: [j0, j1) */
    const int32_t j0 = TQ_MIN(ncols, TQ_MAX(0, -x_lo)), j1 = TQ_MAX(j0, TQ_MIN(ncols, in_w - x_lo));
    tq_mm_fill(cs, pad, j0 * ch);
    for (int32_t ky = 0; ky < k_h && j1 > j0; ++ky) {
        const int32_t y = y0 + ky * p->geo.dil_h;
        int8_t *dst = cs + j0 * ch + ky * c;
        int32_t n = j1 - j0;
        if (y < 0 || y >= p->geo.in_h) {
            tq_conv_cols_pad(dst, pad, n, ch, c);
            continue;
        }
        const int8_t *src = in_b + (y * in_w + x_lo + j0) * c;
        /* taps whose word would read past the input's end (up to 3 at its last row's end): byte
         * by byte, after the others */
        const int32_t room = (int32_t)(in_end - src) - 4;
        const int32_t whole = room < 0 ? 0 : TQ_MIN(n, room / c + 1);
        const int32_t rest = n - whole;
        n = whole;
        const int32_t spill = ky * c + 4 <= ch;
        /* constant tap sizes and spills: 4-6 instructions a tap */
        if (c == 4) {
            tq_conv_cols_taps(dst, src, n, ch, 4, 1);
        } else if (c == 3) {
            spill ? tq_conv_cols_taps(dst, src, n, ch, 3, 1) : tq_conv_cols_taps(dst, src, n, ch, 3, 0);
        } else if (c == 2) {
            spill ? tq_conv_cols_taps(dst, src, n, ch, 2, 1) : tq_conv_cols_taps(dst, src, n, ch, 2, 0);
        } else {
            spill ? tq_conv_cols_taps(dst, src, n, ch, 1, 1) : tq_conv_cols_taps(dst, src, n, ch, 1, 0);
        }
        for (int32_t i = n; i < n + rest; ++i) {
            tq_mm_copy(dst + i * ch, src + i * c, c);
        }
    }
    /* after the taps: the last column's word stores spill into the first pad bytes here */
    tq_mm_fill(cs + j1 * ch, pad, (ncols - j1) * ch + 4);
}

#endif
