#include "conv_2d_dsp.h"

#include "tq_common.h"
#include "tq_mm_dsp.h"
#include "conv_2d_dsp_window.h"
#include "conv_2d_dsp_cols.h"

/* Runs: the pixels of an output row whose windows need no padding, in one call (fast_run) where
 * rows of the window are whole groups and the requantization is the fast one over all of int8.
 * With out_c not a multiple of 4, a pixel's last block is computed whole (its padding channels
 * have zero weights, bias and requantization rows) and out_c of its 4 * blocks bytes are kept;
 * such outputs, and with a fused ADD the convolution's, are staged, at most TQ_CONV_RUN_BYTES
 * of them at a time (RUN_BYTES in tinyq/ops/conv_2d.py sizes the scratch from it). */
#define TQ_CONV_RUN_BYTES 256

/* TQ_CONV_NARROW 0 (tinyq/ops/kernel_config.py): no layer takes narrow_rows (out_c < 4), which
 * then leaves the build. */
#ifndef TQ_CONV_NARROW
#define TQ_CONV_NARROW 1
#endif
/* TQ_CONV_PAIRS 0 (tinyq/ops/kernel_config.py): no layer has its weights as pixel pairs' stream
 * (p->pairs, conv_2d_dsp_pairs.h), whose path is then left out. */
#ifndef TQ_CONV_PAIRS
#define TQ_CONV_PAIRS 1
#endif
#if TQ_CONV_PAIRS
#include "conv_2d_dsp_pairs.h"
#endif

static int32_t run_chunk(int32_t out_w, int32_t px_bytes)
{
    return TQ_MAX(1, TQ_MIN(out_w, TQ_CONV_RUN_BYTES / px_bytes));
}

/* n staged pixels (stride bytes apart) to out, out_c bytes each */
static void unstage(int8_t *out, const int8_t *stage, int32_t n, int32_t stride, int32_t out_c)
{
    for (; n > 0; --n, out += out_c, stage += stride) {
        tq_mm_copy(out, stage, out_c);
    }
}

/* n pixels in_step bytes apart, each window `rows` filter rows of row_groups groups row_step bytes
 * apart (a 1x1 convolution read in place: one row of all its groups): the widening, blocks and
 * pixel loop in one asm call (tq_mm_rows_full, tq_mm_row_full). Their outputs go to out in
 * raster order; staged ones (a tail or an ADD, residual[] its other operand at out's pixels)
 * only after all the chunk's inputs were read: later than in raster order, never ahead of it. */
TQ_ALWAYS_INLINE static inline void fast_run(const tq_conv_dsp_params *p, const int8_t *in, int32_t in_step, int32_t n, int32_t rows,
                     int32_t row_step, int32_t row_groups, const int32_t *w, int32_t *col, int8_t *stage,
                     const int8_t *residual, int8_t *out)
{
    const int32_t out_c = p->geo.out_c, blocks = (out_c + 3) / 4, tail = out_c & 3;
    const int32_t staged = tail || p->add_conv_lut;
    const int32_t chunk = staged ? run_chunk(p->geo.out_w, 4 * blocks) : n;
    while (n > 0) {
        const int32_t m = TQ_MIN(chunk, n);
        int8_t *dst = staged ? stage : out;
#if defined(__GNUC__) && defined(TQ_HAVE_DSP) && defined(__thumb2__)
        if (rows == 1) {    /* a 1x1 read in place: its simpler loop, a few instructions a pixel fewer */
            tq_mm_row_fast(in, in_step, m, col, w, p->groups, blocks, p->bias, p->rq, dst);
        } else {
            tq_mm_rows_fast(in, in_step, m, rows, row_step, row_groups, col, w, p->groups, blocks, p->bias, p->rq,
                            dst);
        }
#else
        for (int32_t i = 0; i < m; ++i) {
            for (int32_t ky = 0; ky < rows; ++ky) {
                tq_mm_widen(in + i * in_step + ky * row_step, row_groups, col + 2 * ky * row_groups);
            }
            tq_mm_column(col, 0, w, p->groups, blocks, p->bias, p->rq, p->output_offset, -128, 127,
                         TQ_RQ_FAST_FULL, dst + 4 * blocks * i);
        }
#endif
        if (!p->add_conv_lut) {
            if (tail) {
                unstage(out, stage, m, 4 * blocks, out_c);
            }
        } else if (!tail) {
            tq_conv_add_run(p, stage, residual, out, m * out_c);
        } else {
            for (int32_t i = 0; i < m; ++i) {
                tq_conv_add_run(p, stage + 4 * blocks * i, residual + i * out_c, out + i * out_c, out_c);
            }
        }
        in += m * in_step;
        out += m * out_c;
        residual = residual ? residual + m * out_c : 0;
        n -= m;
    }
}

/* What one pixel's outputs need besides its column, in the callers' locals (stores through
 * int8_t * would force reloads from *p). */
typedef struct {
    int32_t groups, blocks, out_c, tail, zp, lo, hi, mode;
    const int32_t *bias;
    const tq_rq *rq;
} pixel_ctx;

/* One pixel's widened column (col) against every block: its outputs to out, through conv_px (4 *
 * blocks bytes) with a tail or a fused ADD (residual[] its other operand). */
TQ_ALWAYS_INLINE static inline void pixel_out(const tq_conv_dsp_params *p, pixel_ctx c, const int32_t *col,
                                              const int32_t *w, int8_t *conv_px, const int8_t *residual, int8_t *out)
{
    const int32_t out_c = c.out_c, tail = c.tail;
    /* with a tail every block, the last one padded, is staged, then out_c bytes go out */
    tq_mm_column(col, 0, w, c.groups, c.blocks, c.bias, c.rq, c.zp, c.lo, c.hi, c.mode,
                 p->add_conv_lut || tail ? conv_px : out);
    if (tail && !p->add_conv_lut) {
        tq_mm_copy(out, conv_px, out_c);
    }
    if (p->add_conv_lut) {
        tq_conv_add_run(p, conv_px, residual, out, out_c);
    }
}

/* The column-staged layers (p->cols, conv_2d_dsp_cols.h): each output row's input staged, then
 * its pixels in one run with the fast requantization over all of int8, else one by one. The
 * scratch: the staging, the widened column, the run's or pixel's staged outputs. */
__attribute__((noinline)) static void cols_rows(const tq_conv_dsp_params *p, const int8_t *in, const int32_t *w,
                                                const int8_t *residual, int8_t *out, int8_t *cs)
{
    const int32_t in_c = p->geo.in_c, out_c = p->geo.out_c, out_w = p->geo.out_w;
    const int32_t mode = tq_rq_mode(p->rq_exact, p->act_min, p->act_max);
    const int32_t plane = p->geo.in_h * p->geo.in_w * in_c, step = p->geo.stride_w * p->geo.k_h * in_c;
    const int8_t *in_end = in + (int32_t)p->geo.batches * plane;
    int32_t *col = (int32_t *)(cs + tq_conv_cols_bytes(p));
    int8_t *stage = (int8_t *)(col + 2 * p->groups);
    const pixel_ctx c = {p->groups, (out_c + 3) / 4, out_c, out_c & 3, p->output_offset, p->act_min, p->act_max,
                         mode, p->bias, p->rq};
    int32_t o = 0;
    for (int32_t b = 0; b < p->geo.batches; ++b) {
        for (int32_t oy = 0; oy < p->geo.out_h; ++oy, o += out_w * out_c) {
            tq_conv_cols(p, in + b * plane, in_end, oy * p->geo.stride_h - p->geo.pad_h, cs);
            if (mode == TQ_RQ_FAST_FULL) {
                fast_run(p, cs, step, out_w, 1, 0, p->groups, w, col, stage, residual ? residual + o : 0, out + o);
                continue;
            }
            for (int32_t ox = 0; ox < out_w; ++ox) {
                tq_mm_widen(cs + ox * step, p->groups, col);
                pixel_out(p, c, col, w, stage, residual ? residual + o + ox * out_c : 0, out + o + ox * out_c);
            }
        }
    }
}

#if TQ_CONV_NARROW
/* acc[0 .. n) += one window (nrows rows of row_groups groups, row_step bytes apart, any
 * alignment) against the first n channels' weights of its block: each group of 4 inputs loaded
 * and widened once (SXTB16, SXTB16 ROR 8) for the n channels, whose weight pair follows at words
 * 2c, 2c + 1 of the group's 8. n is a constant where inlined. */
TQ_ALWAYS_INLINE static inline void narrow_dot(const int8_t *row, int32_t nrows, int32_t row_step,
                                               int32_t row_groups, const int32_t *w, int32_t n, int32_t *acc)
{
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2];
    for (int32_t ky = 0; ky < nrows; ++ky, row += row_step) {
        const int8_t *x = row;
#if defined(__GNUC__) && defined(TQ_HAVE_DSP) && defined(__thumb2__)
        /* a group: LDR, 2 SXTB16, then per channel LDRD and 2 SMLADs; two groups a loop pass */
#define TQ_NW_LOAD "ldr r4, [%[x]], #4\n\tsxtb16 r5, r4\n\tsxtb16 r4, r4, ror #8\n\t"
#define TQ_NW_CH(acc, off) \
    "ldrd r6, r8, [%[w], #" off "]\n\tsmlad %[" acc "], r5, r6, %[" acc "]\n\tsmlad %[" acc "], r4, r8, %[" acc "]\n\t"
#define TQ_NW_OPERANDS \
    : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [x] "+r"(x), [w] "+r"(w), [g] "+r"(g) : : "r4", "r5", "r6", "r8", "cc", "memory"
        int32_t g = row_groups;
        if (n == 1) {
            __asm__ volatile("lsrs %[g], %[g], #1\n\tbcc 2f\n\t" TQ_NW_LOAD TQ_NW_CH("a0", "0") "add %[w], %[w], #32\n"
                             "2:\n\tbeq 3f\n"
                             "1:\n\t" TQ_NW_LOAD TQ_NW_CH("a0", "0") TQ_NW_LOAD TQ_NW_CH("a0", "32")
                             "add %[w], %[w], #64\n\tsubs %[g], %[g], #1\n\tbne 1b\n"
                             "3:\n\t" TQ_NW_OPERANDS);
        } else if (n == 2) {
            __asm__ volatile("lsrs %[g], %[g], #1\n\tbcc 2f\n\t" TQ_NW_LOAD TQ_NW_CH("a0", "0") TQ_NW_CH("a1", "8")
                             "add %[w], %[w], #32\n"
                             "2:\n\tbeq 3f\n"
                             "1:\n\t" TQ_NW_LOAD TQ_NW_CH("a0", "0") TQ_NW_CH("a1", "8")
                             TQ_NW_LOAD TQ_NW_CH("a0", "32") TQ_NW_CH("a1", "40")
                             "add %[w], %[w], #64\n\tsubs %[g], %[g], #1\n\tbne 1b\n"
                             "3:\n\t" TQ_NW_OPERANDS);
        } else {
            __asm__ volatile("lsrs %[g], %[g], #1\n\tbcc 2f\n\t" TQ_NW_LOAD TQ_NW_CH("a0", "0") TQ_NW_CH("a1", "8")
                             TQ_NW_CH("a2", "16") "add %[w], %[w], #32\n"
                             "2:\n\tbeq 3f\n"
                             "1:\n\t" TQ_NW_LOAD TQ_NW_CH("a0", "0") TQ_NW_CH("a1", "8") TQ_NW_CH("a2", "16")
                             TQ_NW_LOAD TQ_NW_CH("a0", "32") TQ_NW_CH("a1", "40") TQ_NW_CH("a2", "48")
                             "add %[w], %[w], #64\n\tsubs %[g], %[g], #1\n\tbne 1b\n"
                             "3:\n\t" TQ_NW_OPERANDS);
        }
#undef TQ_NW_LOAD
#undef TQ_NW_CH
#undef TQ_NW_OPERANDS
#else
        for (int32_t g = 0; g < row_groups; ++g, x += 4, w += 8) {
            const int32_t v = tq_read_s32(x), lo = tq_sxtb16(v), hi = tq_sxtb16_ror8(v);
            a0 = tq_smlad(hi, w[1], tq_smlad(lo, w[0], a0));
            if (n > 1) {
                a1 = tq_smlad(hi, w[3], tq_smlad(lo, w[2], a1));
            }
            if (n > 2) {
                a2 = tq_smlad(hi, w[5], tq_smlad(lo, w[4], a2));
            }
        }
#endif
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
}

/* out_c < 4 (a segmentation or reconstruction head): the block of 4 channels would be 1/4 to 3/4
 * padding, and the widened column costs more than the few channels' MACs. Each window is read
 * in place instead (gathered into the stage where it needs padding or its rows are not whole
 * groups), each group widened once in registers for the real channels only. Each pixel's
 * outputs go out after its window was read, as in raster order. Scratch: the gather stage. */
__attribute__((noinline)) static void narrow_rows(const tq_conv_dsp_params *p, const int8_t *in, const int32_t *w,
                                                  int8_t *out, int8_t *stage)
{
    /* locals, not *p: stores through int8_t * would force reloads */
    const int32_t in_c = p->geo.in_c, in_h = p->geo.in_h, in_w = p->geo.in_w, out_c = p->geo.out_c;
    const int32_t out_h = p->geo.out_h, out_w = p->geo.out_w, batches = p->geo.batches;
    const int32_t stride_h = p->geo.stride_h, stride_w = p->geo.stride_w, pad_h = p->geo.pad_h, pad_w = p->geo.pad_w;
    const int32_t zp = p->output_offset, lo = p->act_min, hi = p->act_max, exact = p->rq_exact;
    const int32_t plane = in_h * in_w * in_c, groups = p->groups;
    const int8_t *in_end = in + batches * plane;
    const int32_t row_bytes = p->geo.k_w * in_c + p->row_pad;
    const int32_t row_groups = p->geo.dil_w == 1 && (row_bytes & 3) == 0 ? row_bytes / 4 : 0;
    const int32_t k_h = p->geo.k_h, row_step = p->geo.dil_h * in_w * in_c;
    /* the window's last row starts (k_h - 1) dil_h rows and ends row_bytes past its first */
    const int32_t last_row = (k_h - 1) * p->geo.dil_h, last_x = p->geo.k_w - 1;
    const int32_t b0 = p->bias[0], b1 = p->bias[1], b2 = p->bias[2];
    const tq_rq *rq = p->rq;
    for (int32_t b = 0; b < batches; ++b) {
        const int8_t *in_b = in + b * plane;
        for (int32_t oy = 0; oy < out_h; ++oy) {
            const int32_t y0 = oy * stride_h - pad_h;
            const int rows_in = row_groups && y0 >= 0 && y0 + last_row < in_h;
            for (int32_t ox = 0; ox < out_w; ++ox, out += out_c) {
                const int32_t x0 = ox * stride_w - pad_w;
                const int8_t *row = in_b + (y0 * in_w + x0) * in_c;
                int32_t nrows = 1, g = groups;
                if (rows_in && x0 >= 0 && x0 + last_x < in_w && row + last_row * in_w * in_c + row_bytes <= in_end) {
                    nrows = k_h;
                    g = row_groups;
                } else {
                    tq_conv_gather(p, in_b, y0, x0, stage);
                    row = stage;
                }
                int32_t acc[3] = {b0, b1, b2};
                if (out_c == 1) {
                    narrow_dot(row, nrows, row_step, g, w, 1, acc);
                } else if (out_c == 2) {
                    narrow_dot(row, nrows, row_step, g, w, 2, acc);
                } else {
                    narrow_dot(row, nrows, row_step, g, w, 3, acc);
                }
                if (TQ_RQ_NO_EXACT || !exact) {
                    for (int32_t c = 0; c < out_c; ++c) {
                        out[c] = (int8_t)tq_rq_clamp(tq_rq_fast(rq + c, acc[c]), lo, hi);
                    }
                } else {
                    for (int32_t c = 0; c < out_c; ++c) {
                        out[c] = (int8_t)tq_rq_clamp(tq_rq_exact(rq + c, acc[c], zp), lo, hi);
                    }
                }
            }
        }
    }
}

#endif /* TQ_CONV_NARROW */

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
    const int32_t blocks = (out_c + 3) / 4, tail = out_c & 3;
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
    /* with a fused ADD (out may be the residual) or out_c not a multiple of 4, a pixel's
     * convolution outputs wait here, 4 * blocks bytes */
    int8_t *conv_px = direct ? stage : stage + 4 * groups;
    int32_t o = 0;
    if (p->cols) {
        cols_rows(p, in, w, residual, out, (int8_t *)scratch);
        return;
    }
#if TQ_CONV_NARROW
    if (out_c < 4 && !p->add_conv_lut && p->geo.k_h * p->geo.k_w > 1) {
        narrow_rows(p, in, w, out, (int8_t *)scratch);
        return;
    }
#endif
#if TQ_CONV_PAIRS
    if (p->pairs) {
        tq_conv_pairs(p, in, w, out, col);
        return;
    }
#endif
#if defined(__GNUC__) && defined(TQ_HAVE_DSP) && defined(__thumb2__)
    if (direct && mode == TQ_RQ_FAST_FULL && !tail && !p->add_conv_lut) {
        direct_rows(p, in, w, out, col);
        return;
    }
#endif
    /* rows of whole groups (1x1 read in place included) with the fast requantization: each output
     * row's pixels without padding in one run, the others one by one below */
    const int runs = row_groups && mode == TQ_RQ_FAST_FULL;
    for (int32_t b = 0; b < p->geo.batches; ++b) {
        const int8_t *in_b = in + (int32_t)b * in_h * in_w * in_c;
        for (int32_t oy = 0; oy < out_h; ++oy) {
            const int32_t y0 = oy * p->geo.stride_h - p->geo.pad_h;
            /* the row's pixels [run_lo, run_hi) without padding, in one fast_run */
            int32_t run_lo = out_w, run_hi = out_w;
            if (runs && y0 >= 0 && y0 + (p->geo.k_h - 1) * p->geo.dil_h < in_h) {
                const int32_t sw = p->geo.stride_w, pw = p->geo.pad_w, last = in_w - p->geo.k_w + pw;
                run_lo = (pw + sw - 1) / sw;
                run_hi = last < 0 ? 0 : TQ_MIN(out_w, last / sw + 1);
                while (run_hi > run_lo && in_b + ((y0 + (p->geo.k_h - 1) * p->geo.dil_h) * in_w +
                                                  (run_hi - 1) * sw - pw) * in_c + row_bytes > in_end) {
                    --run_hi;
                }
                if (run_hi <= run_lo) {
                    run_lo = run_hi = out_w;
                }
            }
            for (int32_t ox = 0; ox < out_w; ++ox) {
                const int32_t x0 = ox * p->geo.stride_w - p->geo.pad_w;
                if (ox == run_lo) {
                    fast_run(p, in_b + (y0 * in_w + x0) * in_c, p->geo.stride_w * in_c, run_hi - run_lo, p->geo.k_h,
                             row_step, row_groups, w, col, stage, residual ? residual + o : 0, out + o);
                    o += (run_hi - run_lo) * out_c;
                    ox = run_hi - 1;
                    continue;
                }
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
                const pixel_ctx c = {groups, blocks, out_c, tail, zp, lo, hi, mode, bias, rq};
                pixel_out(p, c, col, w, conv_px, residual + o, out + o);
                o += out_c;
            }
        }
    }
}
