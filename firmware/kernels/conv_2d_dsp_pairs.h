/* The DSP CONV_2D kernel's 1x1 path over pixel pairs, p->pairs (tinyq/ops/conv_2d.py _pairs): a
 * 1x1 convolution read in place, out_c a multiple of 4, the fast requantization over all of int8.
 *
 * One pixel against a block of 4 channels loads 4 weight words per 8 MACs (11 instructions per 16
 * MACs) and pays a block's bias, requantization rows and loop per 4 outputs: over few input
 * channels (16: an expansion layer of MobileNetV3 / EfficientNet) that bookkeeping is half the
 * instructions. Here two pixels share every weight: each pass takes two output channels A, B of
 * both pixels p, q (4 accumulators), per group 4 column words and 4 weight words, 8 SMLADs (10
 * instructions per 16 MACs), and a sub-block's bias and rows come from the weight stream itself:
 *   per pair of channels (A, B): bias A, B, A, B; per group the words A x02, A x13, B x02, B x13;
 *   rows {mult, add, rs} of A, then of B  (10 + 4 * groups words; tinyq/ops/conv_2d.py pair_stream)
 * The column holds both pixels widened, per group p x02, p x13, q x02, q x13. An odd last pixel
 * pairs with itself (both stores write the same bytes). Static functions, one copy per kernel file
 * that includes this header. */
#ifndef TQ_CONV_2D_DSP_PAIRS_H
#define TQ_CONV_2D_DSP_PAIRS_H

#include <stdint.h>

#include "conv_2d_dsp.h"
#include "conv_2d_dsp_window.h"
#include "tq_common.h"
#include "tq_dsp.h"

/* n pixels `step` bytes apart from in, each window `rows` runs of row_groups groups (row_skip bytes
 * from a run's end to the next's start); pixel q's outputs out_step bytes after p's, the next
 * pair's after q's (the asm's frame order: it copies the job onto its stack) */
typedef struct {
    const int8_t *in;       /*  0: pixel p's window */
    int32_t step;           /*  4 */
    int8_t *out;            /*  8: pixel p's outputs */
    int8_t *out_q;          /* 12: (the asm's: pixel q's outputs) */
    int32_t pixels;         /* 16: left, > 0 */
    int32_t groups;         /* 20: rows * row_groups */
    int32_t *col;           /* 24: 4 * groups words */
    const int32_t *w;       /* 28: the stream */
    const int32_t *w_end;   /* 32 */
    int32_t out_c;          /* 36 */
    int32_t rows;           /* 40: > 0 */
    int32_t row_skip;       /* 44 */
    int32_t out_step;       /* 48: out_c, but for a pair of border pixels */
    int32_t row_groups;     /* 52: > 0 */
} tq_pairs_job;

#if defined(__GNUC__) && defined(TQ_HAVE_DSP) && defined(__thumb2__)
/* Stack frame (after the pushes): 0 the job (tq_pairs_job), 56 the column's end, 60 where a pass
 * of channels enters its groups (four a pass; the first pass at group 4 - groups % 4), run till
 * the column's end. r0-r3 the accumulators (A p, B p, A q, B q), r4-r7 a group's column words,
 * r8 r9 r12 lr its weight words, r10 the column, r11 the stream. */
#define TQ_PAIRS_GROUP                          \
    "ldm r10!, {r4, r5, r6, r7}\n\t"          \
    "ldm r11!, {r8, r9, r12, lr}\n\t"         \
    "smlad r0, r4, r8, r0\n\t"                \
    "smlad r0, r5, r9, r0\n\t"                \
    "smlad r1, r4, r12, r1\n\t"               \
    "smlad r1, r5, lr, r1\n\t"                \
    "smlad r2, r6, r8, r2\n\t"                \
    "smlad r2, r7, r9, r2\n\t"                \
    "smlad r3, r6, r12, r3\n\t"               \
    "smlad r3, r7, lr, r3\n\t"
/* requantize acc with the row {mult, add, rs} in registers (tq_rq_fast, SSAT); r10 the temporary */
#define TQ_PAIRS_RQ(acc, mult, add, rs)                          \
    "smmlar r10, " acc ", " mult ", " add "\n\t"                \
    "add " acc ", r10, " acc ", asr #31\n\t"                    \
    "asr " acc ", " acc ", " rs "\n\t"                          \
    "ssat " acc ", #8, " acc "\n\t"

__attribute__((naked, noinline, unused)) static void tq_pairs_run(const tq_pairs_job *job __attribute__((unused)))
{
    __asm__ volatile(
        "push {r4, r5, r6, r7, r8, r9, r10, r11, lr}\n\t"
        "sub sp, #64\n\t"
        "ldm r0!, {r1, r2, r3, r4, r5, r6, r7}\n\tstm sp, {r1, r2, r3, r4, r5, r6, r7}\n\t"
        "ldm r0, {r0, r1, r2, r3, r4, r5, r8}\n\tadd r9, sp, #28\n\tstm r9, {r0, r1, r2, r3, r4, r5, r8}\n\t"
        "add r1, r7, r6, lsl #4\n\tstr r1, [sp, #56]\n\t"         /* the column's end */
        "ands r2, r6, #3\n\tbeq 21f\n\tcmp r2, #2\n\tbeq 22f\n\tbgt 23f\n\t"
        "adr.w r1, 3f\n\tb 24f\n21:\n\tadr.w r1, 4f\n\tb 24f\n22:\n\tadr.w r1, 8f\n\tb 24f\n"
        "23:\n\tadr.w r1, 9f\n24:\n\torr r1, r1, #1\n\tstr r1, [sp, #60]\n"
        /* a pair: q one step on, or p itself for the last odd pixel */
        "10:\n\t"
        "ldm sp, {r0, r1, r3}\n\tldr r2, [sp, #16]\n\tldr r4, [sp, #48]\n\t"   /* in, step, out; pixels, out_step */
        "add r5, r0, r1\n\tadd r6, r3, r4\n\t"
        "cmp r2, #1\n\titt eq\n\tmoveq r5, r0\n\tmoveq r6, r3\n\t"
        "str r6, [sp, #12]\n\t"
        /* widen both pixels: per group p's 4 bytes, q's 4 bytes -> p x02, p x13, q x02, q x13 */
        "ldr r10, [sp, #24]\n\tldrd r1, r2, [sp, #40]\n"          /* rows, row_skip */
        "13:\n\tldr r12, [sp, #52]\n"
        "11:\n\t"
        "ldr r7, [r0], #4\n\tldr r9, [r5], #4\n\t"
        "sxtb16 r6, r7\n\tsxtb16 r7, r7, ror #8\n\tsxtb16 r8, r9\n\tsxtb16 r9, r9, ror #8\n\t"
        "stm r10!, {r6, r7, r8, r9}\n\t"
        "subs r12, r12, #1\n\tbne 11b\n\t"
        "add r0, r0, r2\n\tadd r5, r5, r2\n\tsubs r1, r1, #1\n\tbne 13b\n\t"
        "ldr r11, [sp, #28]\n"
        /* every pair of channels: its bias, then into its groups */
        "2:\n\t"
        "ldr r10, [sp, #24]\n\tldm r11!, {r0, r1, r2, r3}\n\tldr pc, [sp, #60]\n"
        "4:\n\t" TQ_PAIRS_GROUP "9:\n\t" TQ_PAIRS_GROUP "8:\n\t" TQ_PAIRS_GROUP "3:\n\t" TQ_PAIRS_GROUP
        "ldr r8, [sp, #56]\n\tcmp r10, r8\n\tbne 4b\n\t"
        "ldm r11!, {r4, r5, r6, r7, r8, r9}\n\t"
        TQ_PAIRS_RQ("r0", "r4", "r5", "r6") TQ_PAIRS_RQ("r2", "r4", "r5", "r6")
        TQ_PAIRS_RQ("r1", "r7", "r8", "r9") TQ_PAIRS_RQ("r3", "r7", "r8", "r9")
        "ldrd r10, r12, [sp, #8]\n\t"
        "strb r1, [r10, #1]\n\tstrb r0, [r10], #2\n\tstrb r3, [r12, #1]\n\tstrb r2, [r12], #2\n\t"
        "strd r10, r12, [sp, #8]\n\t"
        "ldr r4, [sp, #32]\n\tcmp r11, r4\n\tbne 2b\n\t"
        /* the next pair: p two steps on (its outputs follow q's), two pixels fewer */
        "ldm sp, {r0, r1}\n\tadd r0, r0, r1, lsl #1\n\tstr r0, [sp]\n\t"
        "ldr r2, [sp, #16]\n\tsubs r2, r2, #2\n\tstr r2, [sp, #16]\n\tble 12f\n\t"
        "ldr r3, [sp, #12]\n\tstr r3, [sp, #8]\n\tb 10b\n"
        "12:\n\t"
        "add sp, #64\n\t"
        "pop {r4, r5, r6, r7, r8, r9, r10, r11, pc}\n\t");
}
#undef TQ_PAIRS_GROUP
#undef TQ_PAIRS_RQ
#else
/* the host's copy of tq_pairs_run */
static void tq_pairs_run(const tq_pairs_job *j)
{
    const int32_t g = j->groups;
    for (int32_t i = 0; i < j->pixels; i += 2) {
        const int8_t *xp = j->in + i * j->step, *xq = i + 1 < j->pixels ? xp + j->step : xp;
        int8_t *op = j->out + i * j->out_c, *oq = i + 1 < j->pixels ? op + j->out_step : op;
        for (int32_t r = 0, k = 0; r < j->rows; ++r, xp += j->row_skip, xq += j->row_skip) {
            for (int32_t e = 0; e < j->row_groups; ++e, ++k, xp += 4, xq += 4) {
                const int32_t vp = tq_read_s32(xp), vq = tq_read_s32(xq);
                j->col[4 * k] = tq_sxtb16(vp);
                j->col[4 * k + 1] = tq_sxtb16_ror8(vp);
                j->col[4 * k + 2] = tq_sxtb16(vq);
                j->col[4 * k + 3] = tq_sxtb16_ror8(vq);
            }
        }
        for (const int32_t *s = j->w; s < j->w_end; op += 2, oq += 2) {
            int32_t a[4] = {s[0], s[1], s[2], s[3]};
            s += 4;
            for (int32_t k = 0; k < g; ++k, s += 4) {
                const int32_t *x = j->col + 4 * k;
                a[0] = tq_smlad(x[1], s[1], tq_smlad(x[0], s[0], a[0]));
                a[1] = tq_smlad(x[1], s[3], tq_smlad(x[0], s[2], a[1]));
                a[2] = tq_smlad(x[3], s[1], tq_smlad(x[2], s[0], a[2]));
                a[3] = tq_smlad(x[3], s[3], tq_smlad(x[2], s[2], a[3]));
            }
            const tq_rq *q = (const tq_rq *)(const void *)s;
            op[0] = (int8_t)tq_rq_sat8(tq_rq_fast(q, a[0]));
            op[1] = (int8_t)tq_rq_sat8(tq_rq_fast(q + 1, a[1]));
            oq[0] = (int8_t)tq_rq_sat8(tq_rq_fast(q, a[2]));
            oq[1] = (int8_t)tq_rq_sat8(tq_rq_fast(q + 1, a[3]));
            s += 6;
        }
    }
}
#endif

/* Pixels i and j = i + 1 of the row at out through gathered windows (a border among them), or the
 * row's last pixel alone (j < 0) */
static void tq_pairs_gathered(const tq_conv_dsp_params *p, const int8_t *in_b, int32_t y0, int32_t i, int32_t j,
                              const int32_t *w, int8_t *out, int32_t *col, int8_t *stage)
{
    const tq_window g = p->geo;
    const int32_t bytes = 4 * p->groups;
    tq_conv_gather(p, in_b, y0, i * g.stride_w - g.pad_w, stage);
    if (j >= 0) {
        tq_conv_gather(p, in_b, y0, j * g.stride_w - g.pad_w, stage + bytes);
    }
    const tq_pairs_job job = {stage, bytes, out + i * g.out_c, 0, j >= 0 ? 2 : 1, p->groups, col, w,
                              w + g.out_c / 2 * (10 + 4 * p->groups), g.out_c, 1, 0, (j - i) * g.out_c, p->groups};
    tq_pairs_run(&job);
}

/* Every pixel of the layer. 1x1: one run where pixels follow each other (stride 1), else row by
 * row. Larger windows (rows of whole groups, p->row_pad 0): each output row's pixels without
 * padding as one run read in place, the border pixels gathered two at a time. Scratch: the pair's
 * column (16 bytes a group), then two gathered windows (4 bytes a group each). */
static void tq_conv_pairs(const tq_conv_dsp_params *p, const int8_t *in, const int32_t *w, int8_t *out,
                          int32_t *col)
{
    const tq_window g = p->geo;
    const int32_t groups = p->groups, stream = g.out_c / 2 * (10 + 4 * groups);
    if (p->direct && g.stride_h == 1 && g.stride_w == 1) {
        const tq_pairs_job j = {in, g.in_c, out, out, g.batches * g.out_h * g.out_w, groups, col, w, w + stream,
                                g.out_c, 1, 0, g.out_c, groups};
        tq_pairs_run(&j);
        return;
    }
    int8_t *stage = (int8_t *)(col + 4 * groups);
    const int32_t row_groups = g.k_w * g.in_c / 4, rows = p->direct ? 1 : g.k_h;
    const int32_t row_step = g.dil_h * g.in_w * g.in_c;
    const int32_t sw = g.stride_w, last = g.in_w - g.k_w + g.pad_w;
    const int32_t run_lo = (g.pad_w + sw - 1) / sw, run_hi = last < 0 ? 0 : TQ_MIN(g.out_w, last / sw + 1);
    for (int32_t b = 0; b < g.batches; ++b) {
        const int8_t *in_b = in + b * g.in_h * g.in_w * g.in_c;
        for (int32_t oy = 0; oy < g.out_h; ++oy, out += g.out_w * g.out_c) {
            const int32_t y0 = oy * g.stride_h - g.pad_h;
            const int rows_in = y0 >= 0 && y0 + (g.k_h - 1) * g.dil_h < g.in_h;
            /* pixels [lo, hi) read in place; the rest gathered. In raster order two by two (the arena
             * may put the output over the input: each output is written after its window is read,
             * and after every earlier output), consecutive pairs inside [lo, hi) as one run */
            const int32_t lo = rows_in ? run_lo : g.out_w, hi = rows_in ? run_hi : g.out_w;
            for (int32_t ox = 0; ox < g.out_w;) {
                if (ox >= lo && ox + 1 < hi) {
                    const int32_t n = (hi - ox) & ~1;
                    const tq_pairs_job j = {in_b + (y0 * g.in_w + ox * sw - g.pad_w) * g.in_c, sw * g.in_c,
                                            out + ox * g.out_c, 0, n, groups, col, w, w + stream, g.out_c, rows,
                                            row_step - 4 * row_groups, g.out_c, p->direct ? groups : row_groups};
                    tq_pairs_run(&j);
                    ox += n;
                    continue;
                }
                tq_pairs_gathered(p, in_b, y0, ox, ox + 1 < g.out_w ? ox + 1 : -1, w, out, col, stage);
                ox += 2;
            }
        }
    }
}

#endif /* TQ_CONV_2D_DSP_PAIRS_H */
