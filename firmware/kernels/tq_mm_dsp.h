/* The matrix-multiply core of the DSP CONV_2D and FULLY_CONNECTED kernels: one column of K
 * widened inputs against four output channels' widened weights, two multiply-accumulates per
 * SMLAD. Layouts (made at generation time by tinyq/ops/_dsp_layout.py, and at run time by
 * tq_mm_widen): K is padded to a multiple of 4 (zero weights), and every group of 4 values
 * v0 v1 v2 v3 is stored as the int16 sequence v0 v2 v1 v3, which is exactly what SXTB16 and
 * SXTB16-ROR-8 make of the 4 bytes: so widening the inputs costs 2 instructions per 4 bytes.
 * The weights of output channels 4b..4b+3 are interleaved per group (8 words per group), so one
 * pointer walks them. */
#ifndef TQ_MM_DSP_H
#define TQ_MM_DSP_H

#include <stdint.h>
#include <string.h>

#include "tq_dsp.h"

/* col[0 .. 2*groups) = the 4*groups bytes at src, widened and reordered. */
static inline void tq_mm_widen(const int8_t *src, int32_t groups, int32_t *col)
{
    for (; groups > 0; --groups) {
        const int32_t v = tq_read_s32(src);
        src += 4;
        col[0] = tq_sxtb16(v);
        col[1] = tq_sxtb16_ror8(v);
        col += 2;
    }
}

/* n bytes from src to dst, a word at a time (newlib-nano's memcpy goes byte by byte). */
static inline void tq_mm_copy(int8_t *dst, const int8_t *src, int32_t n)
{
    for (; n >= 4; n -= 4) {
        const int32_t v = tq_read_s32(src);
        memcpy(dst, &v, 4);
        dst += 4;
        src += 4;
    }
    for (; n > 0; --n) {
        *dst++ = *src++;
    }
}

static inline void tq_mm_fill(int8_t *dst, int8_t v, int32_t n)
{
    for (; n > 0; --n) {
        *dst++ = v;
    }
}

/* One group (4 inputs) against the block's 4 channels. */
static inline void tq_mm_group(const int32_t **col, const int32_t **w, int32_t *a0, int32_t *a1, int32_t *a2,
                               int32_t *a3)
{
    int32_t x02, x13, w0, w1;
    tq_ld2(col, &x02, &x13);
    tq_ld2(w, &w0, &w1);
    *a0 = tq_smlad(x13, w1, tq_smlad(x02, w0, *a0));
    tq_ld2(w, &w0, &w1);
    *a1 = tq_smlad(x13, w1, tq_smlad(x02, w0, *a1));
    tq_ld2(w, &w0, &w1);
    *a2 = tq_smlad(x13, w1, tq_smlad(x02, w0, *a2));
    tq_ld2(w, &w0, &w1);
    *a3 = tq_smlad(x13, w1, tq_smlad(x02, w0, *a3));
}

#ifdef TQ_HAVE_DSP
/* One group (x02, x13 loaded) against a block's 4 channels: the weights of two channels per LDM,
 * into r4-r6 and r8 (not r7, the Thumb frame pointer). */
#define TQ_MM_GROUP_ASM                                 \
    "ldmia %[w]!, {r4, r5, r6, r8}\n\t"                 \
    "smlad %[a0], %[x02], r4, %[a0]\n\t"                \
    "smlad %[a0], %[x13], r5, %[a0]\n\t"                \
    "smlad %[a1], %[x02], r6, %[a1]\n\t"                \
    "smlad %[a1], %[x13], r8, %[a1]\n\t"                \
    "ldmia %[w]!, {r4, r5, r6, r8}\n\t"                 \
    "smlad %[a2], %[x02], r4, %[a2]\n\t"                \
    "smlad %[a2], %[x13], r5, %[a2]\n\t"                \
    "smlad %[a3], %[x02], r6, %[a3]\n\t"                \
    "smlad %[a3], %[x13], r8, %[a3]\n\t"
#define TQ_MM_ASM_OPERANDS                                                                               \
    [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [w] "+r"(w), [x02] "=&r"(x02),        \
        [x13] "=&r"(x13)
#endif

/* *accj += dot(col, weights of channel j) for the 4 channels of one block; returns the
 * next block's weights. */
static inline const int32_t *tq_mm_block4(const int32_t *col, const int32_t *w, int32_t groups, int32_t *acc0,
                                          int32_t *acc1, int32_t *acc2, int32_t *acc3)
{
    int32_t a0 = *acc0, a1 = *acc1, a2 = *acc2, a3 = *acc3;
    if (groups & 1) {
        tq_mm_group(&col, &w, &a0, &a1, &a2, &a3);
    }
#ifdef TQ_HAVE_DSP
    /* Two groups per iteration: 24 instructions for 32 multiply-accumulates. */
    if (groups > 1) {
        const int32_t *end = col + 2 * (groups & ~1);
        int32_t x02, x13;
        __asm__ volatile(
            "1:\n\t"
            "ldrd %[x02], %[x13], [%[col]], #8\n\t"
            TQ_MM_GROUP_ASM
            "ldrd %[x02], %[x13], [%[col]], #8\n\t"
            TQ_MM_GROUP_ASM
            "cmp %[col], %[end]\n\t"
            "bne 1b\n\t"
            : TQ_MM_ASM_OPERANDS, [col] "+r"(col)
            : [end] "r"(end)
            : "r4", "r5", "r6", "r8", "cc", "memory");
    }
#else
    for (int32_t g = groups & ~1; g > 0; --g) {
        tq_mm_group(&col, &w, &a0, &a1, &a2, &a3);
    }
#endif
    *acc0 = a0;
    *acc1 = a1;
    *acc2 = a2;
    *acc3 = a3;
    return w;
}

/* As tq_mm_block4, the inputs read as int8 and widened on the way (2 more instructions per
 * group): for a column used by only one pass, e.g. FULLY_CONNECTED, it needs no scratch. */
static inline const int32_t *tq_mm_block4_x8(const int8_t *x, const int32_t *w, int32_t groups, int32_t *acc0,
                                             int32_t *acc1, int32_t *acc2, int32_t *acc3)
{
    int32_t a0 = *acc0, a1 = *acc1, a2 = *acc2, a3 = *acc3;
#ifdef TQ_HAVE_DSP
    if (groups & 1) {
        int32_t col[2] = {tq_sxtb16(tq_read_s32(x)), tq_sxtb16_ror8(tq_read_s32(x))};
        const int32_t *c = col;
        tq_mm_group(&c, &w, &a0, &a1, &a2, &a3);
        x += 4;
    }
    if (groups > 1) {
        const int8_t *end = x + 4 * (groups & ~1);
        int32_t x02, x13;
        __asm__ volatile(
            "1:\n\t"
            "ldr %[x13], [%[x]], #4\n\t"
            "sxtb16 %[x02], %[x13]\n\t"
            "sxtb16 %[x13], %[x13], ror #8\n\t"
            TQ_MM_GROUP_ASM
            "ldr %[x13], [%[x]], #4\n\t"
            "sxtb16 %[x02], %[x13]\n\t"
            "sxtb16 %[x13], %[x13], ror #8\n\t"
            TQ_MM_GROUP_ASM
            "cmp %[x], %[end]\n\t"
            "bne 1b\n\t"
            : TQ_MM_ASM_OPERANDS, [x] "+r"(x)
            : [end] "r"(end)
            : "r4", "r5", "r6", "r8", "cc", "memory");
    }
#else
    for (int32_t g = 0; g < groups; ++g, x += 4) {
        const int32_t v = tq_read_s32(x);
        int32_t col[2] = {tq_sxtb16(v), tq_sxtb16_ror8(v)};
        const int32_t *c = col;
        tq_mm_group(&c, &w, &a0, &a1, &a2, &a3);
    }
#endif
    *acc0 = a0;
    *acc1 = a1;
    *acc2 = a2;
    *acc3 = a3;
    return w;
}

#if defined(__GNUC__) && defined(TQ_HAVE_DSP) && defined(__thumb2__)
/* What tq_mm_column_full walks: read at each block boundary from memory, since the MAC loop
 * needs every register but one. Offsets are fixed by the asm below. */
typedef struct {
    const int32_t *col;     /*  0: the widened column */
    const int32_t *w;       /*  4: weights, advancing block by block */
    const int32_t *bias;    /*  8: advancing 4 a block */
    const tq_rq *rq;        /* 12: advancing 4 a block */
    int8_t *out;            /* 16: advancing 4 a block */
    const int32_t *w_end;   /* 20: the weights' end: the last block's done */
    int32_t passes;         /* 24: (groups + 3) / 4 */
    int32_t rem;            /* 28: groups % 4: the first pass does that many groups (0: 4) */
} tq_mm_job;

/* tq_mm_column for a widened column whose outputs need no clamp but SSAT's (TQ_RQ_FAST_FULL):
 * the whole block loop in asm, so the per-block bookkeeping is 14 instructions instead of the
 * ~31 gcc spends reloading its spilled loop variables; four groups a pass, a count not a multiple
 * of 4 entering the first pass at its (4 - groups % 4)th group). r0-r3 the block's accumulators, r4/r5
 * the column pair, r6-r9 four weight words (or two channels' requantization rows), r10 the
 * column (then out), r11 the weights, r12 the pair count (then rq), lr the job. */
/* requantize accumulator `acc` with the row {mult, add, rs} in registers (tq_rq_fast, SSAT),
 * store it at r10 and advance; `mult` is overwritten */
#define TQ_MM_COL_RQ(acc, mult, add, rs)                          \
    "smmlar " mult ", " acc ", " mult ", " add "\n\t"            \
    "add " acc ", " mult ", " acc ", asr #31\n\t"                \
    "asr " acc ", " acc ", " rs "\n\t"                           \
    "ssat " acc ", #8, " acc "\n\t"                              \
    "strb " acc ", [r10], #1\n\t"
/* one group: the column pair into r4/r5, then two channels' weight words at a time */
#define TQ_MM_COL_GROUP                          \
    "ldrd r4, r5, [r10], #8\n\t"               \
    "ldmia r11!, {r6, r7, r8, r9}\n\t"         \
    "smlad r0, r4, r6, r0\n\t"                 \
    "smlad r0, r5, r7, r0\n\t"                 \
    "smlad r1, r4, r8, r1\n\t"                 \
    "smlad r1, r5, r9, r1\n\t"                 \
    "ldmia r11!, {r6, r7, r8, r9}\n\t"         \
    "smlad r2, r4, r6, r2\n\t"                 \
    "smlad r2, r5, r7, r2\n\t"                 \
    "smlad r3, r4, r8, r3\n\t"                 \
    "smlad r3, r5, r9, r3\n\t"
/* Every block of one column (label 2 to its last block), r11 the weights */
#define TQ_MM_COL_BLOCKS                                                                \
    "2:\n\tldr r10, [lr, #0]\n\tldr r6, [lr, #8]\n\tldmia r6!, {r0, r1, r2, r3}\n\t"   \
    "str r6, [lr, #8]\n\tldrd r12, r4, [lr, #24]\n\tcmp r4, #0\n\tbeq 4f\n\t"          \
    "cmp r4, #2\n\tbeq 8f\n\tbgt 9f\n\tb 3f\n"                                                \
    "4:\n\t" TQ_MM_COL_GROUP "9:\n\t" TQ_MM_COL_GROUP "8:\n\t" TQ_MM_COL_GROUP                   \
    "3:\n\t" TQ_MM_COL_GROUP "subs r12, r12, #1\n\tbne 4b\n\t"                                  \
    /* requantize (tq_rq_fast, then SSAT): two channels' rows {mult, add, rs} per LDM */ \
    "ldr r12, [lr, #12]\n\tldr r10, [lr, #16]\n\tldmia r12!, {r4, r5, r6, r7, r8, r9}\n\t" \
    TQ_MM_COL_RQ("r0", "r4", "r5", "r6") TQ_MM_COL_RQ("r1", "r7", "r8", "r9")           \
    "ldmia r12!, {r4, r5, r6, r7, r8, r9}\n\t"                                           \
    TQ_MM_COL_RQ("r2", "r4", "r5", "r6") TQ_MM_COL_RQ("r3", "r7", "r8", "r9")           \
    "str r12, [lr, #12]\n\tstr r10, [lr, #16]\n\tldr r4, [lr, #20]\n\tcmp r11, r4\n\tbne 2b\n\t"
__attribute__((naked, noinline, unused)) static void tq_mm_column_full(tq_mm_job *job __attribute__((unused)))
{
    __asm__ volatile(
        "push {r4, r5, r6, r7, r8, r9, r10, r11, lr}\n\t"
        "mov lr, r0\n\t"
        "ldr r11, [lr, #4]\n\t"
        TQ_MM_COL_BLOCKS
        "str r11, [lr, #4]\n\t"
        "pop {r4, r5, r6, r7, r8, r9, r10, r11, pc}\n\t");
}

/* A row of pixels of a convolution reading its input in place (1x1 over whole groups of
 * channels), out_c a multiple of 4: each pixel's channels widened into the column, then every
 * block, the outputs following each other. The job's first fields are tq_mm_job's, the bias
 * and rq there the current ones. */
typedef struct {
    tq_mm_job m;
    const int8_t *in;       /* 32: the next pixel's channels */
    int32_t in_step;        /* 36: bytes between pixels */
    int32_t pixels;         /* 40: counting down (> 0) */
    int32_t groups;         /* 44 */
    const int32_t *bias;    /* 48 */
    const tq_rq *rq;        /* 52 */
} tq_mm_row_job;

/* Widen r2 (> 0) groups from r0 (any alignment) to the column at r1: an odd one first (the
 * flags of the halving survive it), then two a pass (10 instructions for 2 groups, not 12); r3-r9
 * scratch. */
#define TQ_MM_WIDEN_PAIRS                                                                              \
    "lsrs r2, r2, #1\n\tbcc 7f\n\t"                                                                \
    "ldr r3, [r0], #4\n\tsxtb16 r4, r3\n\tsxtb16 r5, r3, ror #8\n\tstrd r4, r5, [r1], #8\n\t"    \
    "beq 5f\n"                                                                                        \
    "7:\n\tldr r3, [r0], #4\n\tldr r6, [r0], #4\n\tsxtb16 r4, r3\n\tsxtb16 r5, r3, ror #8\n\t"  \
    "sxtb16 r8, r6\n\tsxtb16 r9, r6, ror #8\n\tstrd r4, r5, [r1], #8\n\tstrd r8, r9, [r1], #8\n\t" \
    "subs r2, r2, #1\n\tbne 7b\n"                                                                    \
    "5:\n\t"

__attribute__((naked, noinline, unused)) static void tq_mm_row_full(tq_mm_row_job *job __attribute__((unused)))
{
    __asm__ volatile(
        "push {r4, r5, r6, r7, r8, r9, r10, r11, lr}\n\t"
        "mov lr, r0\n"
        "6:\n\t"
        "ldrd r0, r1, [lr, #32]\n\tadd r2, r0, r1\n\tstr r2, [lr, #32]\n\t"
        "ldr r1, [lr, #0]\n\tldr r2, [lr, #44]\n\t"
        TQ_MM_WIDEN_PAIRS
        "ldr r11, [lr, #4]\n\tldrd r0, r1, [lr, #48]\n\tstrd r0, r1, [lr, #8]\n\t"
        TQ_MM_COL_BLOCKS
        "ldr r4, [lr, #40]\n\tsubs r4, r4, #1\n\tstr r4, [lr, #40]\n\tbne 6b\n\t"
        "pop {r4, r5, r6, r7, r8, r9, r10, r11, pc}\n\t");
}

/* n pixels in_step bytes apart from `in`, their outputs from `out` on (tq_mm_row_full) */
__attribute__((noinline, unused)) static void tq_mm_row_fast(const int8_t *in, int32_t in_step, int32_t n,
                                                             int32_t *col, const int32_t *w, int32_t groups,
                                                             int32_t blocks, const int32_t *bias, const tq_rq *rq,
                                                             int8_t *out)
{
    tq_mm_row_job job = {{col, w, bias, rq, out, w + 8 * groups * blocks, (groups + 3) >> 2, groups & 3},
                         in, in_step, n, groups, bias, rq};
    tq_mm_row_full(&job);
}
/* As tq_mm_row_full, each pixel's window being `rows` filter rows of row_groups groups, row_step
 * bytes apart (a convolution's rows of whole groups, padded or not): widened row by row into
 * the column, then every block. */
typedef struct {
    tq_mm_row_job r;        /* r.in: the next pixel's first filter row */
    int32_t rows;           /* 56: filter rows (> 0) */
    int32_t row_step;       /* 60: bytes between filter rows */
    int32_t row_groups;     /* 64: groups per filter row (> 0) */
} tq_mm_rows_job;

__attribute__((naked, noinline, unused)) static void tq_mm_rows_full(tq_mm_rows_job *job __attribute__((unused)))
{
    __asm__ volatile(
        "push {r4, r5, r6, r7, r8, r9, r10, r11, lr}\n\t"
        "mov lr, r0\n"
        "6:\n\t"
        "ldrd r0, r1, [lr, #32]\n\tadd r2, r0, r1\n\tstr r2, [lr, #32]\n\t"
        "ldr r1, [lr, #0]\n\tldr r6, [lr, #56]\n\tldrd r7, r8, [lr, #60]\n"
        "8:\n\tmov r9, r0\n\tmov r2, r8\n"
        "7:\n\tldr r3, [r9], #4\n\tsxtb16 r4, r3\n\tsxtb16 r5, r3, ror #8\n\tstrd r4, r5, [r1], #8\n\t"
        "subs r2, r2, #1\n\tbne 7b\n\t"
        "add r0, r0, r7\n\tsubs r6, r6, #1\n\tbne 8b\n\t"
        "ldr r11, [lr, #4]\n\tldrd r0, r1, [lr, #48]\n\tstrd r0, r1, [lr, #8]\n\t"
        TQ_MM_COL_BLOCKS
        "ldr r4, [lr, #40]\n\tsubs r4, r4, #1\n\tstr r4, [lr, #40]\n\tbne 6b\n\t"
        "pop {r4, r5, r6, r7, r8, r9, r10, r11, pc}\n\t");
}

/* n pixels in_step bytes apart from `in`, each `rows` filter rows (tq_mm_rows_full) */
__attribute__((noinline, unused)) static void tq_mm_rows_fast(const int8_t *in, int32_t in_step, int32_t n,
                                                              int32_t rows, int32_t row_step, int32_t row_groups,
                                                              int32_t *col, const int32_t *w, int32_t groups,
                                                              int32_t blocks, const int32_t *bias, const tq_rq *rq,
                                                              int8_t *out)
{
    tq_mm_rows_job job = {{{col, w, bias, rq, out, w + 8 * groups * blocks, (groups + 3) >> 2, groups & 3},
                           in, in_step, n, groups, bias, rq},
                          rows, row_step, row_groups};
    tq_mm_rows_full(&job);
}
#undef TQ_MM_COL_BLOCKS
#undef TQ_MM_WIDEN_PAIRS

/* Out of line, so that the job on the stack costs tq_mm_column's own loop no register. */
__attribute__((noinline, unused)) static void tq_mm_column_fast(const int32_t *col, const int32_t *w, int32_t groups,
                                                                int32_t blocks, const int32_t *bias, const tq_rq *rq,
                                                                int8_t *out)
{
    tq_mm_job job = {col, w, bias, rq, out, w + 8 * groups * blocks, (groups + 3) >> 2, groups & 3};
    tq_mm_column_full(&job);
}
#endif

/* tq_mm_column's loop in C (its own function: with the asm path beside it, gcc ran out of
 * registers for tq_mm_block4's loop on the Cortex-M55). */
#if defined(__GNUC__) && defined(TQ_HAVE_DSP)
/* Out of line: tq_mm_block4's loop needs 13 registers, more than the callers' loops leave. */
__attribute__((noinline, unused))
#elif defined(__GNUC__)
__attribute__((unused))    /* conv_2d_dsp8.c includes this header for tq_mm_copy only */
#endif
static void tq_mm_column_loop(const void *col, int32_t x8, const int32_t *w, int32_t groups, int32_t blocks,
                              const int32_t *bias, const tq_rq *rq, int32_t zp, int32_t lo, int32_t hi, int32_t mode,
                              int8_t *out)
{
    for (; blocks > 0; --blocks, bias += 4, rq += 4, out += 4) {
        int32_t a0 = bias[0], a1 = bias[1], a2 = bias[2], a3 = bias[3];
        w = x8 ? tq_mm_block4_x8((const int8_t *)col, w, groups, &a0, &a1, &a2, &a3)
               : tq_mm_block4((const int32_t *)col, w, groups, &a0, &a1, &a2, &a3);
        tq_rq_store4(rq, a0, a1, a2, a3, zp, lo, hi, mode, out);
    }
}

/* One column against every full block of 4 output channels: out[0 .. 4*blocks) are the
 * requantized results (tq_dsp.h's store), bias[] the channels' initial accumulators. The column
 * is widened int16 words, or with x8 the int8 inputs themselves (4 * groups bytes). */
static inline void tq_mm_column(const void *col, int32_t x8, const int32_t *w, int32_t groups, int32_t blocks,
                                const int32_t *bias, const tq_rq *rq, int32_t zp, int32_t lo, int32_t hi,
                                int32_t mode, int8_t *out)
{
#if defined(__GNUC__) && defined(TQ_HAVE_DSP) && defined(__thumb2__)
    if (!x8 && mode == TQ_RQ_FAST_FULL && blocks > 0) {
        tq_mm_column_fast((const int32_t *)col, w, groups, blocks, bias, rq, out);
        return;
    }
#endif
    tq_mm_column_loop(col, x8, w, groups, blocks, bias, rq, zp, lo, hi, mode, out);
}

#endif /* TQ_MM_DSP_H */
