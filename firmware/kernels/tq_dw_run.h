#ifndef TQ_DW_RUN_H
#define TQ_DW_RUN_H

/* One output pixel of a depthwise convolution through a table of tap offsets, every block of 4
 * output channels in asm: tap t of block b reads its input at base + b * step + offs[t] (a
 * padding tap's offset leads into a buffer of input zero points, which adds nothing against
 * bias_full), then the fast requantization over all of int8 (tq_rq_fast, SSAT). Any filter size,
 * dilation and padding; the depthwise kernels (depthwise_conv_2d_dsp.c, depthwise_mult_dsp.c)
 * define one function per way a block meets its input (TQ_DW_RUN_DEFINE). */

#include <stdint.h>

#include "tq_dsp.h"

typedef struct {
    const int32_t *offs;        /* 0: per tap, bytes from the pixel's window origin */
    int32_t taps;               /* 4: >= 1 */
    const int8_t *base;         /* 8: the window origin of the first block's input */
    const void *w;              /* 12: per block, per tap, two words */
    const int32_t *bias;        /* 16: bias_full, per output channel */
    const tq_rq *rq;            /* 20 */
    int8_t *out;                /* 24 */
    int32_t blocks;             /* 28: >= 1 */
    int32_t pixels;             /* 32: TQ_DW_RUN_PAIRS_DEFINE only, >= 1: pixels in a row, their
                                 * outputs one after the other, the same offsets */
    int32_t px_step;            /* 36: ... bytes between their window origins */
} tq_dw_taps_job;

/* The scratch both depthwise kernels lay out for their tap tables: n + 4 input zero points (what
 * padding taps read, at any channel offset a block reads from), then two tables of `taps` offsets
 * (sized by tinyq/ops/depthwise_conv_2d.py). Fills the zero points; returns them, and in *offs the
 * interior table (filled by tq_dw_interior_offsets), the border table right after it. */
static inline int8_t *tq_dw_zero_points(void *scratch, int32_t n, int32_t input_offset, int32_t **offs)
{
    int8_t *zeros = (int8_t *)scratch;
    for (int32_t i = 0; i < n + 4; ++i) {
        zeros[i] = (int8_t)(-input_offset);
    }
    *offs = (int32_t *)(void *)(zeros + ((n + 4 + 3) & ~3));
    return zeros;
}

/* Tap t = ky * k_w + kx of a window: ky * dy + kx * dx bytes from its origin. */
static inline void tq_dw_interior_offsets(int32_t *offs, int32_t k_h, int32_t k_w, int32_t dy, int32_t dx)
{
    for (int32_t t = 0; t < k_h * k_w; ++t) {
        offs[t] = (t / k_w) * dy + (t % k_w) * dx;
    }
}

/* The offsets of a pixel whose window origin is `base`: the interior table where every tap lies
 * inside [ky0, ky1) x [kx0, kx1), else the border table (offs + taps) with each tap outside led
 * into `zeros`. */
static inline const int32_t *tq_dw_pixel_offsets(int32_t *offs, int32_t k_h, int32_t k_w, int32_t ky0, int32_t ky1,
                                                 int32_t kx0, int32_t kx1, const int8_t *zeros, const int8_t *base)
{
    if (ky0 == 0 && ky1 == k_h && kx0 == 0 && kx1 == k_w) {
        return offs;
    }
    int32_t *px = offs + k_h * k_w;
    const int32_t to_pad = (int32_t)((uintptr_t)zeros - (uintptr_t)base);
    /* row by row: no division, the rows outside the image all padding */
    const int32_t *src = offs;
    int32_t *dst = px;
    for (int32_t ky = 0; ky < k_h; ++ky, src += k_w, dst += k_w) {
        const int inside = ky >= ky0 && ky < ky1;
        const int32_t a = inside ? kx0 : k_w, b = inside ? kx1 : k_w;
        int32_t kx = 0;
        for (; kx < a; ++kx) {
            dst[kx] = to_pad;
        }
        for (; kx < b; ++kx) {
            dst[kx] = src[kx];
        }
        for (; kx < k_w; ++kx) {
            dst[kx] = to_pad;
        }
    }
    return px;
}

#ifdef TQ_HAVE_DSP
/* r0-r3 the accumulators, r4/r5 the input, r6/r7 a tap's weight words, r8 the offsets, r9 the
 * block's input, r10 the tap pairs left, r11 the weights, r12 the bias, lr the output; on the
 * stack: 0 rq, 4 the bias's end, 8 the offsets, 12 the pairs, 16 whether the count is odd. The tap
 * loop does two a turn; an odd count enters at the second. About 36 instructions a block besides
 * the taps. `tap` must read offs (r8) and advance the weights (r11) by 8. */
#define TQ_DWR_RQ(a)                                                                          \
    "ldm r4!, {r5, r6, r7}\n\tsmmlar r5, " a ", r5, r6\n\tadd " a ", r5, " a ", asr #31\n\t"  \
    "asr " a ", " a ", r7\n\tssat " a ", #8, " a "\n\t"
#define TQ_DW_RUN_DEFINE(name, tap, step)                                                                  \
    void name(const tq_dw_taps_job *j);                                                                    \
    __asm__(".pushsection .text." #name ",\"ax\",%progbits\n\t.align 2\n\t.global " #name "\n\t"          \
            ".type " #name ", %function\n\t.thumb_func\n" #name ":\n\t"                                     \
            "push {r4-r11, lr}\n\tsub sp, #20\n\t"                                                         \
            "ldr r1, [r0, #0]\n\tstr r1, [sp, #8]\n\tldr r1, [r0, #4]\n\tand r2, r1, #1\n\tstr r2, [sp, #16]\n\t" \
            "adds r1, #1\n\tasrs r1, r1, #1\n\tstr r1, [sp, #12]\n\t"                                      \
            "ldrd r9, r11, [r0, #8]\n\tldr r12, [r0, #16]\n\tldr r1, [r0, #20]\n\tstr r1, [sp]\n\t"        \
            "ldr lr, [r0, #24]\n\tldr r1, [r0, #28]\n\tadd r1, r12, r1, lsl #4\n\tstr r1, [sp, #4]\n"      \
            "1:\n\tldm r12!, {r0, r1, r2, r3}\n\tldrd r8, r10, [sp, #8]\n\tldr r4, [sp, #16]\n\t"          \
            "cmp r4, #0\n\tbne 3f\n"                                                                       \
            "2:\n\t" tap "3:\n\t" tap "subs r10, #1\n\tbne 2b\n\t"                                         \
            "adds r9, #" #step "\n\t"                                                                      \
            "ldr r4, [sp]\n\t" TQ_DWR_RQ("r0") TQ_DWR_RQ("r1") TQ_DWR_RQ("r2") TQ_DWR_RQ("r3")             \
            "str r4, [sp]\n\t"                                                                             \
            "strb r0, [lr], #1\n\tstrb r1, [lr], #1\n\tstrb r2, [lr], #1\n\tstrb r3, [lr], #1\n\t"        \
            "ldr r4, [sp, #4]\n\tcmp r12, r4\n\tbne 1b\n\t"                                                \
            "add sp, #20\n\tpop {r4-r11, pc}\n\t.size " #name ", .-" #name "\n\t.popsection\n")

/* The same over taps in pairs: SMLAD takes two taps of a block's input channel at once (the
 * weights, per block, per pair (t, t + 1), one word an output channel, w[t] low, w[t + 1] high;
 * then an odd last tap as `single` reads it), over a run of `pixels` pixels px_step bytes apart
 * (the outputs follow each other). `pair` reads two offsets (r8) and advances the weights (r11) by
 * 16; it may use r12 (the bias pointer lives on the stack). stack: 0 rq, 4 the bias, 8 the bias's
 * end, 12 the offsets, 16 the pairs, 20 whether the count is odd, 24 pixels left, 28 the window
 * origin, 32 the job. */
#define TQ_DW_RUN_PAIRS_DEFINE(name, pair, single, step)                                                   \
    void name(const tq_dw_taps_job *j);                                                                    \
    __asm__(".pushsection .text." #name ",\"ax\",%progbits\n\t.align 2\n\t.global " #name "\n\t"          \
            ".type " #name ", %function\n\t.thumb_func\n" #name ":\n\t"                                     \
            "push {r4-r11, lr}\n\tsub sp, #40\n\t"                                                         \
            "str r0, [sp, #32]\n\t"                                                                        \
            "ldr r1, [r0, #0]\n\tstr r1, [sp, #12]\n\tldr r1, [r0, #4]\n\tand r2, r1, #1\n\tstr r2, [sp, #20]\n\t" \
            "asrs r1, r1, #1\n\tstr r1, [sp, #16]\n\t"                                                     \
            "ldr r1, [r0, #8]\n\tstr r1, [sp, #28]\n\tldr r1, [r0, #32]\n\tstr r1, [sp, #24]\n\t"          \
            "ldr lr, [r0, #24]\n"                                                                          \
            "5:\n\tldr r0, [sp, #32]\n\tldr r9, [sp, #28]\n\tldrd r11, r12, [r0, #12]\n\t"                 \
            "str r12, [sp, #4]\n\tldr r1, [r0, #20]\n\tstr r1, [sp]\n\t"                                   \
            "ldr r1, [r0, #28]\n\tadd r1, r12, r1, lsl #4\n\tstr r1, [sp, #8]\n"                           \
            "1:\n\tldr r4, [sp, #4]\n\tldm r4!, {r0, r1, r2, r3}\n\tstr r4, [sp, #4]\n\t"                  \
            "ldrd r8, r10, [sp, #12]\n\tcmp r10, #0\n\tbeq 3f\n"                                           \
            "2:\n\t" pair "subs r10, #1\n\tbne 2b\n"                                                       \
            "3:\n\tldr r4, [sp, #20]\n\tcmp r4, #0\n\tbeq 4f\n\t" single                                   \
            "4:\n\tadds r9, #" #step "\n\t"                                                                \
            "ldr r4, [sp]\n\t" TQ_DWR_RQ("r0") TQ_DWR_RQ("r1") TQ_DWR_RQ("r2") TQ_DWR_RQ("r3")             \
            "str r4, [sp]\n\t"                                                                             \
            "strb r0, [lr], #1\n\tstrb r1, [lr], #1\n\tstrb r2, [lr], #1\n\tstrb r3, [lr], #1\n\t"        \
            "ldrd r4, r5, [sp, #4]\n\tcmp r4, r5\n\tbne 1b\n\t"                                            \
            "ldr r0, [sp, #32]\n\tldr r1, [r0, #36]\n\tldr r2, [sp, #28]\n\tadd r2, r2, r1\n\t"           \
            "str r2, [sp, #28]\n\tldr r1, [sp, #24]\n\tsubs r1, #1\n\tstr r1, [sp, #24]\n\tbne 5b\n\t"    \
            "add sp, #40\n\tpop {r4-r11, pc}\n\t.size " #name ", .-" #name "\n\t.popsection\n")

/* A pair of taps of 4 input channels (multiplier 1): PKHBT/PKHTB put the two taps' words side by
 * side ([a0 a1 b0 b1], [a2 a3 b2 b3]), SXTB16 yields each channel's (t, t + 1) halfwords; 15
 * instructions against 18 for two single taps (TQ_DWR_TAP_CH4). */
#define TQ_DWR_PAIR_CH4                                                                       \
    "ldrd r4, r5, [r8], #8\n\tldr r4, [r9, r4]\n\tldr r5, [r9, r5]\n\t"                       \
    "pkhbt r6, r4, r5, lsl #16\n\tpkhtb r4, r5, r4, asr #16\n\t"                               \
    "sxtb16 r5, r6\n\tsxtb16 r6, r6, ror #8\n\tldrd r7, r12, [r11], #8\n\t"                    \
    "smlad r0, r5, r7, r0\n\tsmlad r1, r6, r12, r1\n\t"                                        \
    "sxtb16 r5, r4\n\tsxtb16 r4, r4, ror #8\n\tldrd r6, r7, [r11], #8\n\t"                     \
    "smlad r2, r5, r6, r2\n\tsmlad r3, r4, r7, r3\n\t"
/* 2 input channels, 2 outputs each (multiplier 2): 12 instructions against 18 */
#define TQ_DWR_PAIR_CH2                                                                       \
    "ldrd r4, r5, [r8], #8\n\tldrh r4, [r9, r4]\n\tldrh r5, [r9, r5]\n\t"                     \
    "orr r6, r4, r5, lsl #16\n\tsxtb16 r5, r6\n\tsxtb16 r6, r6, ror #8\n\t"                    \
    "ldrd r4, r7, [r11], #8\n\tsmlad r0, r5, r4, r0\n\tsmlad r1, r5, r7, r1\n\t"               \
    "ldrd r4, r7, [r11], #8\n\tsmlad r2, r6, r4, r2\n\tsmlad r3, r6, r7, r3\n\t"
/* 1 input channel, 4 outputs (a multiplier divisible by 4): 10 instructions against 14 */
#define TQ_DWR_PAIR_CH1                                                                       \
    "ldrd r4, r5, [r8], #8\n\tldrsb r4, [r9, r4]\n\tldrsb r5, [r9, r5]\n\t"                   \
    "pkhbt r6, r4, r5, lsl #16\n\t"                                                            \
    "ldrd r4, r7, [r11], #8\n\tsmlad r0, r6, r4, r0\n\tsmlad r1, r6, r7, r1\n\t"               \
    "ldrd r4, r7, [r11], #8\n\tsmlad r2, r6, r4, r2\n\tsmlad r3, r6, r7, r3\n\t"

/* The taps of a block: 4 input channels (depth multiplier 1; weights w[c], w[c+2] | w[c+1], w[c+3]) */
#define TQ_DWR_TAP_CH4                                                                        \
    "ldr r4, [r8], #4\n\tldr r4, [r9, r4]\n\tldrd r6, r7, [r11], #8\n\t"                      \
    "sxtb16 r5, r4\n\tsxtb16 r4, r4, ror #8\n\t"                                               \
    "smlabb r0, r5, r6, r0\n\tsmlatt r2, r5, r6, r2\n\tsmlabb r1, r4, r7, r1\n\tsmlatt r3, r4, r7, r3\n\t"
/* 2 input channels, 2 outputs each (multiplier 2; weights in channel order) */
#define TQ_DWR_TAP_CH2                                                                        \
    "ldr r4, [r8], #4\n\tldrh r4, [r9, r4]\n\tldrd r6, r7, [r11], #8\n\t"                     \
    "sxtb16 r5, r4\n\tsxtb16 r4, r4, ror #8\n\t"                                               \
    "smlabb r0, r5, r6, r0\n\tsmlabt r1, r5, r6, r1\n\tsmlabb r2, r4, r7, r2\n\tsmlabt r3, r4, r7, r3\n\t"
/* 1 input channel, 4 outputs (a multiplier divisible by 4; weights in channel order) */
#define TQ_DWR_TAP_CH1                                                                        \
    "ldr r4, [r8], #4\n\tldrsb r4, [r9, r4]\n\tldrd r6, r7, [r11], #8\n\t"                    \
    "smlabb r0, r4, r6, r0\n\tsmlabt r1, r4, r6, r1\n\tsmlabb r2, r4, r7, r2\n\tsmlabt r3, r4, r7, r3\n\t"
#endif

#endif /* TQ_DW_RUN_H */
