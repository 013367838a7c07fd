#include "tq_config.h"

/* 0 (tq_kernel_config.h): no layer takes TFLM's requantization arithmetic (rq_exact), so its
 * paths leave the build (tq_dsp.h); such a layer would go wrong: the generator decides. */
#ifndef TQ_DW_DSP_EXACT
#define TQ_DW_DSP_EXACT 1
#endif
#if !TQ_DW_DSP_EXACT
#define TQ_RQ_NO_EXACT 1
#endif

#include "depthwise_conv_2d_dsp.h"

#include "tq_common.h"
#include "tq_dw_run.h"

/* 0 (tq_kernel_config.h): every layer has its weights in tap pairs (p->pairs), so only
 * pairs_layer and its asm stay in the build; a layer without them would go wrong: the generator
 * decides. */
#ifndef TQ_DW_DSP_SINGLE
#define TQ_DW_DSP_SINGLE 1
#endif
/* 0: no layer has them (e.g. every layer is the dsp8 variant's), so pairs_layer and its asm leave
 * the build. */
#ifndef TQ_DW_DSP_PAIRS
#define TQ_DW_DSP_PAIRS 1
#endif

/* 0 (tq_kernel_config.h): no layer has a 3-wide filter besides 3x3, so the rows path (pixel3)
 * is left out of the build; such a filter would take the generic tap walk. */
#ifndef TQ_DW_DSP_ROWS3
#define TQ_DW_DSP_ROWS3 1
#endif

/* 0 (tq_kernel_config.h): every 3x3 layer takes the asm (channels a multiple of 4, the fast
 * requantization over all of int8), so the C 3x3 paths (pixel3x3, pixel9: ~1.4 KB) are left out
 * of a DSP build; a layer that needed them would take the asm pointer path or the generic tap
 * walk instead, right but slower. The host has no asm: its build keeps them. */
#if !defined(TQ_DW_DSP_C3X3) || !defined(TQ_HAVE_DSP)
#undef TQ_DW_DSP_C3X3
#define TQ_DW_DSP_C3X3 1
#endif

/* Four channels' accumulators, updated in registers: SXTB16 splits the 4 input bytes of channels
 * c..c+3 into the pairs (c, c+2) and (c+1, c+3), each halfword meeting its own weight
 * (SMLABB/SMLATT); the weights are stored in that order. Taps outside the image read a word of
 * input zero points, which adds nothing, so one bias (bias_full) serves every pixel. */
typedef struct {
    int32_t a0, a1, a2, a3;
} acc4;

/* 3-wide filters up to this tall take the fast path (the pad mask has 3 bits per row) */
#define TQ_DW_MAX_ROWS 10
/* filters up to this many taps take tq_dw_taps_run (its offsets take 8 bytes a tap of scratch) */
#define TQ_DW_MAX_TAPS 64

static inline void tap(acc4 *a, int32_t v, const int32_t **wp)
{
    int32_t w02, w13;
    const int32_t x02 = tq_sxtb16(v), x13 = tq_sxtb16_ror8(v);
    tq_ld2(wp, &w02, &w13);
    a->a0 = tq_smlabb(x02, w02, a->a0);
    a->a2 = tq_smlatt(x02, w02, a->a2);
    a->a1 = tq_smlabb(x13, w13, a->a1);
    a->a3 = tq_smlatt(x13, w13, a->a3);
}

#ifdef TQ_HAVE_DSP
/* One tap in asm: gcc, short of registers in these loops, spills otherwise. 8 instructions. */
#define TQ_DW_TAP(load)                                        \
    load "\n\t"                                                \
    "ldrd %[w0], %[w1], [%[wp]], #8\n\t"                       \
    "sxtb16 %[t1], %[t0]\n\t"                                  \
    "sxtb16 %[t0], %[t0], ror #8\n\t"                          \
    "smlabb %[a0], %[t1], %[w0], %[a0]\n\t"                    \
    "smlatt %[a2], %[t1], %[w0], %[a2]\n\t"                    \
    "smlabb %[a1], %[t0], %[w1], %[a1]\n\t"                    \
    "smlatt %[a3], %[t0], %[w1], %[a3]\n\t"
#define TQ_DW_OUTS                                                                                   \
    [a0] "+r"(a->a0), [a1] "+r"(a->a1), [a2] "+r"(a->a2), [a3] "+r"(a->a3), [wp] "+r"(*wp),          \
        [t0] "=&r"(t0), [t1] "=&r"(t1), [w0] "=&r"(w0), [w1] "=&r"(w1)
#endif

/* Three taps side by side at r, r + ch, r + 2 ch. */
static inline void row3(acc4 *a, const int8_t *r, int32_t ch, const int32_t **wp)
{
#ifdef TQ_HAVE_DSP
    int32_t t0, t1, w0, w1;
    __asm__(TQ_DW_TAP("ldr %[t0], [%[r]]") TQ_DW_TAP("ldr %[t0], [%[r], %[ch]]")
                TQ_DW_TAP("ldr %[t0], [%[r], %[ch], lsl #1]")
            : TQ_DW_OUTS
            : [r] "r"(r), [ch] "r"(ch)
            : "memory");
#else
    tap(a, tq_read_s32(r), wp);
    tap(a, tq_read_s32(r + ch), wp);
    tap(a, tq_read_s32(r + 2 * ch), wp);
#endif
}

/* A whole 3x3 window of one block: rows dy apart, taps ch apart. */
static inline void window3x3(acc4 *a, const int8_t *r, int32_t ch, int32_t dy, const int32_t **wp)
{
#ifdef TQ_HAVE_DSP
    int32_t t0, t1, w0, w1;
    __asm__(TQ_DW_TAP("ldr %[t0], [%[r]]") TQ_DW_TAP("ldr %[t0], [%[r], %[ch]]")
                TQ_DW_TAP("ldr %[t0], [%[r], %[ch], lsl #1]") "add %[r], %[r], %[dy]\n\t"
                TQ_DW_TAP("ldr %[t0], [%[r]]") TQ_DW_TAP("ldr %[t0], [%[r], %[ch]]")
                TQ_DW_TAP("ldr %[t0], [%[r], %[ch], lsl #1]") "add %[r], %[r], %[dy]\n\t"
                TQ_DW_TAP("ldr %[t0], [%[r]]") TQ_DW_TAP("ldr %[t0], [%[r], %[ch]]")
                TQ_DW_TAP("ldr %[t0], [%[r], %[ch], lsl #1]")
            : TQ_DW_OUTS, [r] "+r"(r)
            : [ch] "r"(ch), [dy] "r"(dy)
            : "memory");
#else
    for (int32_t ky = 0; ky < 3; ++ky, r += dy) {
        row3(a, r, ch, wp);
    }
#endif
}

/* A 3x3 window of one block through 9 tap pointers (a padding tap points into a buffer of zero
 * points as long as the channels): 9 instructions a tap, whatever the padding or dilation. */
static inline void window9(acc4 *a, const int8_t *const *pp, int32_t c, const int32_t **wp)
{
#ifdef TQ_HAVE_DSP
    int32_t t0, t1, w0, w1;
#define TQ_DW_PTAP(i) TQ_DW_TAP("ldr %[t0], [%[pp], #" #i "]\n\tldr %[t0], [%[t0], %[c]]")
    __asm__(TQ_DW_PTAP(0) TQ_DW_PTAP(4) TQ_DW_PTAP(8) TQ_DW_PTAP(12) TQ_DW_PTAP(16) TQ_DW_PTAP(20)
                TQ_DW_PTAP(24) TQ_DW_PTAP(28) TQ_DW_PTAP(32)
            : TQ_DW_OUTS
            : [pp] "r"(pp), [c] "r"(c)
            : "memory");
#undef TQ_DW_PTAP
#else
    for (int32_t t = 0; t < 9; ++t) {
        tap(a, tq_read_s32(pp[t] + c), wp);
    }
#endif
}

/* Three taps at any three addresses (a border row: some point at the zero-point word). */
static inline void row3p(acc4 *a, const int8_t *p0, const int8_t *p1, const int8_t *p2, const int32_t **wp)
{
#ifdef TQ_HAVE_DSP
    int32_t t0, t1, w0, w1;
    __asm__(TQ_DW_TAP("ldr %[t0], [%[p0]]") TQ_DW_TAP("ldr %[t0], [%[p1]]") TQ_DW_TAP("ldr %[t0], [%[p2]]")
            : TQ_DW_OUTS
            : [p0] "r"(p0), [p1] "r"(p1), [p2] "r"(p2)
            : "memory");
#else
    tap(a, tq_read_s32(p0), wp);
    tap(a, tq_read_s32(p1), wp);
    tap(a, tq_read_s32(p2), wp);
#endif
}

/* The input bytes of channels c..c+3, n of them valid (the rest read as 0). */
static inline int32_t load4(const int8_t *px, int32_t n)
{
    if (n >= 4) {
        return tq_read_s32(px);
    }
    uint32_t v = 0;
    for (int32_t j = 0; j < n; ++j) {
        v |= (uint32_t)(uint8_t)px[j] << (8 * j);
    }
    return (int32_t)v;
}

/* First valid tap index and one past the last, for taps at start + k * dil in [0, size). */
static inline void tap_range(int32_t start, int32_t k, int32_t dil, int32_t size, int32_t *lo, int32_t *hi)
{
    int32_t l = 0, h = k;
    while (l < k && start + l * dil < 0) {
        ++l;
    }
    while (h > l && start + (h - 1) * dil >= size) {
        --h;
    }
    *lo = l;
    *hi = h;
}

/* A 3x3 window's 9 tap pointers from its origin (taps dx, rows dy apart): those outside the
 * valid rows [ky_lo, ky_hi) or columns [kx_lo, kx_hi) read the zero-point padding instead. */
static inline void taps3x3(const int8_t *base, int32_t dx, int32_t dy, int32_t ky_lo, int32_t ky_hi, int32_t kx_lo,
                           int32_t kx_hi, const int8_t *padbuf, const int8_t **pp)
{
    const int8_t *r = base;
    for (int32_t ky = 0; ky < 3; ++ky, r += dy) {
        const int row_in = ky >= ky_lo && ky < ky_hi;
        pp[3 * ky] = row_in && kx_lo == 0 && kx_hi > 0 ? r : padbuf;
        pp[3 * ky + 1] = row_in && kx_lo <= 1 && kx_hi >= 2 ? r + dx : padbuf;
        pp[3 * ky + 2] = row_in && kx_lo <= 2 && kx_hi == 3 ? r + 2 * dx : padbuf;
    }
}

/* One output pixel's full blocks of 4 channels, 3 taps wide. Tap row ky reads at
 * rows[ky] + c + {0, 1, 2} * ch, except taps whose bit ky * 3 + kx is set in pad_mask, which read
 * the zero-point word. Out of line, so that its loop gets the registers to itself. */
#if defined(__GNUC__) && defined(TQ_HAVE_DSP)
__attribute__((noinline))
#endif
static void pixel3(const int8_t *const *rows, int32_t k_h, uint32_t pad_mask, const int8_t *pad, int32_t ch,
                   int32_t blocks, const int32_t *w, const int32_t *bias, const tq_rq *rq, int32_t zp, int32_t lo,
                   int32_t hi, int32_t mode, int8_t *out)
{
    const int32_t wstep = 2 * 3 * k_h;
    for (int32_t c = 0; blocks > 0; --blocks, c += 4, w += wstep, bias += 4, rq += 4, out += 4) {
        acc4 a = {bias[0], bias[1], bias[2], bias[3]};
        const int32_t *wp = w;
        if (pad_mask == 0) {
            for (int32_t ky = 0; ky < k_h; ++ky) {
                row3(&a, rows[ky] + c, ch, &wp);
            }
        } else {
            uint32_t m = pad_mask;
            for (int32_t ky = 0; ky < k_h; ++ky, m >>= 3) {
                const int8_t *r = rows[ky] + c;
                row3p(&a, (m & 1) ? pad : r, (m & 2) ? pad : r + ch, (m & 4) ? pad : r + 2 * ch, &wp);
            }
        }
        tq_rq_store4(rq, a.a0, a.a1, a.a2, a.a3, zp, lo, hi, mode, out);
    }
}

/* Any filter: taps in [ky_lo, ky_hi) x [kx_lo, kx_hi) read n channels' bytes at
 * r + ky * dy + kx * dx, the others the zero-point word. */
static void taps_any(acc4 *a, const int8_t *r, int32_t n, int32_t k_h, int32_t k_w, int32_t dy, int32_t dx,
                     int32_t ky_lo, int32_t ky_hi, int32_t kx_lo, int32_t kx_hi, int32_t pad_word, const int32_t *wp)
{
    for (int32_t ky = 0; ky < k_h; ++ky, r += dy) {
        const int row_in = ky >= ky_lo && ky < ky_hi;
        for (int32_t kx = 0; kx < k_w; ++kx) {
            tap(a, row_in && kx >= kx_lo && kx < kx_hi ? load4(r + kx * dx, n) : pad_word, &wp);
        }
    }
}

#if TQ_DW_DSP_C3X3
#define TQ_DW_C3X3(call) call
#else
#define TQ_DW_C3X3(call) ((void)0)   /* (behind a condition that is then false) */
#endif

#if TQ_DW_DSP_C3X3
/* A 3x3 pixel's full blocks through its 9 tap pointers (window9). */
#if defined(__GNUC__) && defined(TQ_HAVE_DSP)
__attribute__((noinline))
#endif
static void pixel9(const int8_t *const *pp, int32_t blocks, const int32_t *w, const int32_t *bias, const tq_rq *rq,
                   int32_t zp, int32_t lo, int32_t hi, int32_t mode, int8_t *out)
{
    for (int32_t c = 0; blocks > 0; --blocks, c += 4, bias += 4, rq += 4, out += 4) {
        acc4 a = {bias[0], bias[1], bias[2], bias[3]};
        window9(&a, pp, c, &w);
        tq_rq_store4(rq, a.a0, a.a1, a.a2, a.a3, zp, lo, hi, mode, out);
    }
}

/* pixel3 for a 3x3 window without padding, rows dy apart from base. */
#if defined(__GNUC__) && defined(TQ_HAVE_DSP)
__attribute__((noinline))
#endif
static void pixel3x3(const int8_t *base, int32_t dy, int32_t ch, int32_t blocks, const int32_t *w,
                     const int32_t *bias, const tq_rq *rq, int32_t zp, int32_t lo, int32_t hi, int32_t mode,
                     int8_t *out)
{
    for (; blocks > 0; --blocks, base += 4, bias += 4, rq += 4, out += 4) {
        acc4 a = {bias[0], bias[1], bias[2], bias[3]};
        window3x3(&a, base, ch, dy, &w);
        tq_rq_store4(rq, a.a0, a.a1, a.a2, a.a3, zp, lo, hi, mode, out);
    }
}
#endif

/* A run of interior pixels of a 3x3 filter without dilation, every block in the fast
 * requantization over all of int8 (TQ_RQ_FAST_FULL), channels a multiple of 4, so that the
 * outputs follow each other. The whole run in asm: 106 instructions a block of 4 channels (72 of
 * them the taps) against about 147 through pixel3x3, whose per-pixel call, tap ranges and
 * spilled loop variables it saves. */
typedef struct {
    const int8_t *base;         /* 0: the first pixel's window origin (row 0, column 0), channel 0 */
    int32_t ch;                 /* 4: bytes between horizontal taps */
    int32_t dy;                 /* 8: bytes between tap rows */
    const int32_t *w;           /* 12 */
    const int32_t *bias;        /* 16: bias_full */
    const tq_rq *rq;            /* 20 */
    int8_t *out;                /* 24 */
    int32_t pixels;             /* 28: >= 1 */
    int32_t px_step;            /* 32: bytes between the windows of two output pixels */
    int32_t blocks;             /* 36: ch / 4, >= 1 */
} tq_dw3x3_run_job;

/* One border pixel of a 3x3 filter (tq_dw3x3_ptr below): tap t reads pp[t] + the block's channel
 * offset (a padding tap points at the buffer of zero points). */
typedef struct {
    const int8_t *const *pp;    /* 0 */
    const int32_t *w;           /* 4 */
    const int32_t *bias;        /* 8 */
    const tq_rq *rq;            /* 12 */
    int8_t *out;                /* 16 */
    int32_t blocks;             /* 20 */
} tq_dw3x3_ptr_job;

#ifdef TQ_HAVE_DSP
void tq_dw3x3_run(const tq_dw3x3_run_job *j);
/* r0-r3 the accumulators, r4/r5 the input word's halves, r6/r7 a tap's weight words, r8 the
 * window (row by row), r9 ch, r10 dy, r11 the weights, r12 the bias, lr the output; on the
 * stack: 0 rq, 4 the bias's end, 8 pixels left, 12 the window origin, 16 the job. */
#define TQ_DW3_TAP(load)                                                                      \
    load "\n\tldrd r6, r7, [r11], #8\n\tsxtb16 r5, r4\n\tsxtb16 r4, r4, ror #8\n\t"           \
    "smlabb r0, r5, r6, r0\n\tsmlatt r2, r5, r6, r2\n\tsmlabb r1, r4, r7, r1\n\tsmlatt r3, r4, r7, r3\n\t"
#define TQ_DW3_ROW TQ_DW3_TAP("ldr r4, [r8]") TQ_DW3_TAP("ldr r4, [r8, r9]") TQ_DW3_TAP("ldr r4, [r8, r9, lsl #1]")
#define TQ_DW3_RQ(a)                                                                          \
    "ldm r4!, {r5, r6, r7}\n\tsmmlar r5, " a ", r5, r6\n\tadd " a ", r5, " a ", asr #31\n\t"  \
    "asr " a ", " a ", r7\n\tssat " a ", #8, " a "\n\t"
__asm__(".pushsection .text.tq_dw3x3_run,\"ax\",%progbits\n\t.align 2\n\t.global tq_dw3x3_run\n\t"
        ".type tq_dw3x3_run, %function\n\t.thumb_func\ntq_dw3x3_run:\n\t"
        "push {r4-r11, lr}\n\tsub sp, #20\n\t"
        "str r0, [sp, #16]\n\tldrd r9, r10, [r0, #4]\n\tldr lr, [r0, #24]\n\t"
        "ldr r1, [r0]\n\tstr r1, [sp, #12]\n\tldr r1, [r0, #28]\n\tstr r1, [sp, #8]\n"
        "2:\n\tldr r0, [sp, #16]\n\tldr r8, [sp, #12]\n\tldrd r11, r12, [r0, #12]\n\t"
        "ldr r1, [r0, #20]\n\tstr r1, [sp]\n\tldr r1, [r0, #36]\n\tadd r1, r12, r1, lsl #4\n\tstr r1, [sp, #4]\n"
        "1:\n\tldm r12!, {r0, r1, r2, r3}\n\t"
        TQ_DW3_ROW "add r8, r8, r10\n\t" TQ_DW3_ROW "add r8, r8, r10\n\t" TQ_DW3_ROW
        "sub r8, r8, r10, lsl #1\n\tadds r8, #4\n\t"
        "ldr r4, [sp]\n\t" TQ_DW3_RQ("r0") TQ_DW3_RQ("r1") TQ_DW3_RQ("r2") TQ_DW3_RQ("r3") "str r4, [sp]\n\t"
        "strb r0, [lr], #1\n\tstrb r1, [lr], #1\n\tstrb r2, [lr], #1\n\tstrb r3, [lr], #1\n\t"
        "ldr r4, [sp, #4]\n\tcmp r12, r4\n\tbne 1b\n\t"
        "ldr r0, [sp, #16]\n\tldr r1, [r0, #32]\n\tldr r2, [sp, #12]\n\tadd r2, r2, r1\n\tstr r2, [sp, #12]\n\t"
        "ldr r1, [sp, #8]\n\tsubs r1, #1\n\tstr r1, [sp, #8]\n\tbne 2b\n\t"
        "add sp, #20\n\tpop {r4-r11, pc}\n\t.size tq_dw3x3_run, .-tq_dw3x3_run\n\t.popsection\n");

/* One border pixel of a 3x3 filter: tap t reads pp[t] + c (a padding tap points at the buffer of
 * zero points), every block in asm as above; r8 the 9 pointers, r9 the channel offset. */
void tq_dw3x3_ptr(const tq_dw3x3_ptr_job *j);
#define TQ_DW3_PTAP(i) TQ_DW3_TAP("ldr r4, [r8, #" #i "]\n\tldr r4, [r4, r9]")
__asm__(".pushsection .text.tq_dw3x3_ptr,\"ax\",%progbits\n\t.align 2\n\t.global tq_dw3x3_ptr\n\t"
        ".type tq_dw3x3_ptr, %function\n\t.thumb_func\ntq_dw3x3_ptr:\n\t"
        "push {r4-r11, lr}\n\tsub sp, #12\n\t"
        "ldm r0, {r8, r11, r12}\n\tldrd r1, lr, [r0, #12]\n\tstr r1, [sp]\n\t"
        "ldr r1, [r0, #20]\n\tadd r1, r12, r1, lsl #4\n\tstr r1, [sp, #4]\n\tmovs r9, #0\n"
        "1:\n\tldm r12!, {r0, r1, r2, r3}\n\t"
        TQ_DW3_PTAP(0) TQ_DW3_PTAP(4) TQ_DW3_PTAP(8) TQ_DW3_PTAP(12) TQ_DW3_PTAP(16) TQ_DW3_PTAP(20)
        TQ_DW3_PTAP(24) TQ_DW3_PTAP(28) TQ_DW3_PTAP(32)
        "adds r9, #4\n\t"
        "ldr r4, [sp]\n\t" TQ_DW3_RQ("r0") TQ_DW3_RQ("r1") TQ_DW3_RQ("r2") TQ_DW3_RQ("r3") "str r4, [sp]\n\t"
        "strb r0, [lr], #1\n\tstrb r1, [lr], #1\n\tstrb r2, [lr], #1\n\tstrb r3, [lr], #1\n\t"
        "ldr r4, [sp, #4]\n\tcmp r12, r4\n\tbne 1b\n\t"
        "add sp, #12\n\tpop {r4-r11, pc}\n\t.size tq_dw3x3_ptr, .-tq_dw3x3_ptr\n\t.popsection\n");
#undef TQ_DW3_PTAP

/* The same two with the weights in tap pairs (p->pairs: no dilation; pair_weights in
 * tinyq/ops/depthwise_conv_2d.py): taps (0, 1) (2, 3) (4, 5) (6, 7) through SMLAD (TQ_DWR_PAIR_CH4's
 * steps, 14 instructions a pair against 16 for two single taps), tap 8 single. r12 is a weight
 * register here, the bias pointer on the stack. */
#define TQ_DW3P_PAIR(la, lb)                                                                  \
    la "\n\t" lb "\n\tpkhbt r6, r4, r5, lsl #16\n\tpkhtb r4, r5, r4, asr #16\n\t"             \
    "sxtb16 r5, r6\n\tsxtb16 r6, r6, ror #8\n\tldrd r7, r12, [r11], #8\n\t"                    \
    "smlad r0, r5, r7, r0\n\tsmlad r1, r6, r12, r1\n\t"                                        \
    "sxtb16 r5, r4\n\tsxtb16 r4, r4, ror #8\n\tldrd r6, r7, [r11], #8\n\t"                     \
    "smlad r2, r5, r6, r2\n\tsmlad r3, r4, r7, r3\n\t"
#define TQ_DW3P_BLOCK_START "ldr r4, [sp]\n\tldm r4!, {r0, r1, r2, r3}\n\tstr r4, [sp]\n\t"
#define TQ_DW3P_STORE                                                                         \
    "strb r0, [lr], #1\n\tstrb r1, [lr], #1\n\tstrb r2, [lr], #1\n\tstrb r3, [lr], #1\n\t"    \
    "ldrd r4, r5, [sp]\n\tcmp r4, r5\n\tbne 1b\n\t"
/* tq_dw3x3_run's job; stack: 0 the bias, 4 the bias's end, 8 pixels left, 12 the window origin,
 * 16 the job, 20 rq */
void tq_dw3x3_run_pairs(const tq_dw3x3_run_job *j);
__asm__(".pushsection .text.tq_dw3x3_run_pairs,\"ax\",%progbits\n\t.align 2\n\t.global tq_dw3x3_run_pairs\n\t"
        ".type tq_dw3x3_run_pairs, %function\n\t.thumb_func\ntq_dw3x3_run_pairs:\n\t"
        "push {r4-r11, lr}\n\tsub sp, #24\n\t"
        "str r0, [sp, #16]\n\tldrd r9, r10, [r0, #4]\n\tldr lr, [r0, #24]\n\t"
        "ldr r1, [r0]\n\tstr r1, [sp, #12]\n\tldr r1, [r0, #28]\n\tstr r1, [sp, #8]\n"
        "2:\n\tldr r0, [sp, #16]\n\tldr r8, [sp, #12]\n\tldrd r11, r12, [r0, #12]\n\t"
        "ldr r1, [r0, #20]\n\tstr r1, [sp, #20]\n\tldr r1, [r0, #36]\n\tadd r1, r12, r1, lsl #4\n\t"
        "strd r12, r1, [sp]\n"
        "1:\n\t" TQ_DW3P_BLOCK_START
        TQ_DW3P_PAIR("ldr r4, [r8]", "ldr r5, [r8, r9]")
        TQ_DW3P_PAIR("ldr r4, [r8, r9, lsl #1]", "add r8, r8, r10\n\tldr r5, [r8]")
        TQ_DW3P_PAIR("ldr r4, [r8, r9]", "ldr r5, [r8, r9, lsl #1]")
        TQ_DW3P_PAIR("add r8, r8, r10\n\tldr r4, [r8]", "ldr r5, [r8, r9]")
        TQ_DW3_TAP("ldr r4, [r8, r9, lsl #1]")
        "sub r8, r8, r10, lsl #1\n\tadds r8, #4\n\t"
        "ldr r4, [sp, #20]\n\t" TQ_DW3_RQ("r0") TQ_DW3_RQ("r1") TQ_DW3_RQ("r2") TQ_DW3_RQ("r3") "str r4, [sp, #20]\n\t"
        TQ_DW3P_STORE
        "ldr r0, [sp, #16]\n\tldr r1, [r0, #32]\n\tldr r2, [sp, #12]\n\tadd r2, r2, r1\n\tstr r2, [sp, #12]\n\t"
        "ldr r1, [sp, #8]\n\tsubs r1, #1\n\tstr r1, [sp, #8]\n\tbne 2b\n\t"
        "add sp, #24\n\tpop {r4-r11, pc}\n\t.size tq_dw3x3_run_pairs, .-tq_dw3x3_run_pairs\n\t.popsection\n");

/* tq_dw3x3_ptr's job; stack: 0 the bias, 4 the bias's end, 8 rq */
void tq_dw3x3_ptr_pairs(const tq_dw3x3_ptr_job *j);
#define TQ_DW3P_P(i, r) "ldr " r ", [r8, #" #i "]\n\tldr " r ", [" r ", r9]"
__asm__(".pushsection .text.tq_dw3x3_ptr_pairs,\"ax\",%progbits\n\t.align 2\n\t.global tq_dw3x3_ptr_pairs\n\t"
        ".type tq_dw3x3_ptr_pairs, %function\n\t.thumb_func\ntq_dw3x3_ptr_pairs:\n\t"
        "push {r4-r11, lr}\n\tsub sp, #12\n\t"
        "ldm r0, {r8, r11, r12}\n\tldrd r1, lr, [r0, #12]\n\tstr r1, [sp, #8]\n\t"
        "ldr r1, [r0, #20]\n\tadd r1, r12, r1, lsl #4\n\tstrd r12, r1, [sp]\n\tmovs r9, #0\n"
        "1:\n\t" TQ_DW3P_BLOCK_START
        TQ_DW3P_PAIR(TQ_DW3P_P(0, "r4"), TQ_DW3P_P(4, "r5")) TQ_DW3P_PAIR(TQ_DW3P_P(8, "r4"), TQ_DW3P_P(12, "r5"))
        TQ_DW3P_PAIR(TQ_DW3P_P(16, "r4"), TQ_DW3P_P(20, "r5")) TQ_DW3P_PAIR(TQ_DW3P_P(24, "r4"), TQ_DW3P_P(28, "r5"))
        TQ_DW3_TAP("ldr r4, [r8, #32]\n\tldr r4, [r4, r9]")
        "adds r9, #4\n\t"
        "ldr r4, [sp, #8]\n\t" TQ_DW3_RQ("r0") TQ_DW3_RQ("r1") TQ_DW3_RQ("r2") TQ_DW3_RQ("r3") "str r4, [sp, #8]\n\t"
        TQ_DW3P_STORE
        "add sp, #12\n\tpop {r4-r11, pc}\n\t.size tq_dw3x3_ptr_pairs, .-tq_dw3x3_ptr_pairs\n\t.popsection\n");
#undef TQ_DW3P_P
#undef TQ_DW3P_PAIR
#undef TQ_DW3P_BLOCK_START
#undef TQ_DW3P_STORE

/* Any other filter (5x5, 7x7, 1xk, kx1, dilated): tq_dw_run.h, 10 instructions a tap against
 * about 15 through taps_any. */
TQ_DW_RUN_DEFINE(tq_dw_taps_run, TQ_DWR_TAP_CH4, 4);
/* ... with the weights in tap pairs (p->pairs): 7.5 instructions a tap */
TQ_DW_RUN_PAIRS_DEFINE(tq_dw_taps_run_pairs, TQ_DWR_PAIR_CH4, TQ_DWR_TAP_CH4, 4);
#undef TQ_DW3_TAP
#undef TQ_DW3_ROW
#undef TQ_DW3_RQ
#else
/* the host's copy of tq_dw_taps_run */
static void tq_dw_taps_run(const tq_dw_taps_job *j)
{
    const int32_t *w = (const int32_t *)j->w;
    for (int32_t b = 0; b < j->blocks; ++b) {
        acc4 a = {j->bias[4 * b], j->bias[4 * b + 1], j->bias[4 * b + 2], j->bias[4 * b + 3]};
        const uintptr_t at = (uintptr_t)j->base + (uintptr_t)(4 * b);
        for (int32_t t = 0; t < j->taps; ++t) {
            tap(&a, tq_read_s32((const int8_t *)(at + (uintptr_t)(intptr_t)j->offs[t])), &w);
        }
        tq_rq_store4(j->rq + 4 * b, a.a0, a.a1, a.a2, a.a3, 0, -128, 127, TQ_RQ_FAST_FULL, j->out + 4 * b);
    }
}

/* the host's copy of tq_dw_taps_run_pairs */
static void tq_dw_taps_run_pairs(const tq_dw_taps_job *j)
{
    for (int32_t i = 0; i < j->pixels; ++i) {
        const int32_t *w = (const int32_t *)j->w;
        const uintptr_t px = (uintptr_t)j->base + (uintptr_t)(intptr_t)(i * j->px_step);
        int8_t *out = j->out + i * 4 * j->blocks;
        for (int32_t b = 0; b < j->blocks; ++b) {
            int32_t a[4] = {j->bias[4 * b], j->bias[4 * b + 1], j->bias[4 * b + 2], j->bias[4 * b + 3]};
            const uintptr_t at = px + (uintptr_t)(4 * b);
            int32_t t = 0;
            for (; t + 1 < j->taps; t += 2, w += 4) {
                const int8_t *x0 = (const int8_t *)(at + (uintptr_t)(intptr_t)j->offs[t]);
                const int8_t *x1 = (const int8_t *)(at + (uintptr_t)(intptr_t)j->offs[t + 1]);
                for (int32_t c = 0; c < 4; ++c) {
                    a[c] = (int32_t)((uint32_t)a[c] + (uint32_t)(x0[c] * tq_lo16(w[c])) +
                                     (uint32_t)(x1[c] * tq_hi16(w[c])));
                }
            }
            acc4 r = {a[0], a[1], a[2], a[3]};
            if (t < j->taps) {
                tap(&r, tq_read_s32((const int8_t *)(at + (uintptr_t)(intptr_t)j->offs[t])), &w);
            }
            tq_rq_store4(j->rq + 4 * b, r.a0, r.a1, r.a2, r.a3, 0, -128, 127, TQ_RQ_FAST_FULL, out + 4 * b);
        }
    }
}

/* the host's copy of tq_dw3x3_ptr_pairs (weights in tap pairs): one pixel through its 9 pointers */
static void pixel9_pairs(const int8_t *const *pp, int32_t blocks, const int32_t *w, const int32_t *bias,
                         const tq_rq *rq, int8_t *out)
{
    for (int32_t c = 0; blocks > 0; --blocks, c += 4, bias += 4, rq += 4, out += 4) {
        int32_t a[4] = {bias[0], bias[1], bias[2], bias[3]};
        for (int32_t t = 0; t < 8; t += 2, w += 4) {
            for (int32_t k = 0; k < 4; ++k) {
                a[k] = (int32_t)((uint32_t)a[k] + (uint32_t)(pp[t][c + k] * tq_lo16(w[k])) +
                                 (uint32_t)(pp[t + 1][c + k] * tq_hi16(w[k])));
            }
        }
        acc4 r = {a[0], a[1], a[2], a[3]};
        tap(&r, tq_read_s32(pp[8] + c), &w);
        tq_rq_store4(rq, r.a0, r.a1, r.a2, r.a3, 0, -128, 127, TQ_RQ_FAST_FULL, out);
    }
}

/* the host's copy of tq_dw3x3_ptr_pairs */
static void tq_dw3x3_ptr_pairs(const tq_dw3x3_ptr_job *j)
{
    pixel9_pairs(j->pp, j->blocks, j->w, j->bias, j->rq, j->out);
}

/* the host's copy of tq_dw3x3_run_pairs */
static void tq_dw3x3_run_pairs(const tq_dw3x3_run_job *j)
{
    for (int32_t i = 0; i < j->pixels; ++i) {
        const int8_t *pp[9];
        for (int32_t t = 0; t < 9; ++t) {
            pp[t] = j->base + i * j->px_step + (t / 3) * j->dy + (t % 3) * j->ch;
        }
        pixel9_pairs(pp, j->blocks, j->w, j->bias, j->rq, j->out + i * 4 * j->blocks);
    }
}

/* the host's copy: pixel3x3 pixel by pixel */
static void tq_dw3x3_run(const tq_dw3x3_run_job *j)
{
    for (int32_t i = 0; i < j->pixels; ++i) {
        pixel3x3(j->base + i * j->px_step, j->dy, j->ch, j->blocks, j->w, j->bias, j->rq, 0, -128, 127,
                 TQ_RQ_FAST_FULL, j->out + i * 4 * j->blocks);
    }
}
#endif

/* Requantize a block of n < 4 channels (the last block of a channel count not divisible by 4). */
static void store_tail(const tq_dw_dsp_params *restrict p, const acc4 *a, int32_t c, int32_t n, int8_t *out)
{
    const int32_t accs[4] = {a->a0, a->a1, a->a2, a->a3};
    for (int32_t j = 0; j < n; ++j) {
        out[j] = (int8_t)tq_rq_clamp(tq_rq_apply(&p->rq[c + j], accs[j], p->output_offset, p->rq_exact), p->act_min,
                             p->act_max);
    }
}

/* A layer whose weights are in tap pairs (p->pairs: channels a multiple of 4, the fast
 * requantization over all of int8; 3x3 without dilation, or another filter of at most 64 taps not 3
 * wide): every pixel in asm, the interior columns of a row as one run (tq_dw3x3_run_pairs,
 * tq_dw_taps_run_pairs), each border pixel through its tap pointers or offsets. Its own loop, with
 * only what it needs in registers. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
__attribute__((unused)) static void pairs_layer(const tq_dw_dsp_params *restrict p, const int8_t *in, const int32_t *w, int8_t *out,
                        const int8_t *padbuf, int32_t *offs)
{
    const tq_window g = p->geo;
    const int32_t ch = g.in_c, k_h = g.k_h, k_w = g.k_w, taps = k_h * k_w, blocks = ch / 4;
    const int32_t row_stride = g.in_w * ch, dy = g.dil_h * row_stride, dx = g.dil_w * ch;
    const int32_t sw = g.stride_w, out_w = g.out_w, pad_w = g.pad_w;
    const int three = k_h == 3 && k_w == 3;
    const int32_t *const bias = p->bias_full;
    const tq_rq *const rq = p->rq;
    /* the interior columns run_a..run_b - 1: their windows (span columns) inside the image */
    const int32_t span = (k_w - 1) * g.dil_w + 1;
    const int32_t run_a = (pad_w + sw - 1) / sw;
    const int32_t run_b = TQ_MIN(out_w, g.in_w - span + pad_w >= 0 ? (g.in_w - span + pad_w) / sw + 1 : 0);
    if (!three) {
        tq_dw_interior_offsets(offs, k_h, k_w, dy, dx);
    }
    for (int32_t b = 0; b < g.batches; ++b) {
        const int8_t *in_b = in + b * g.in_h * row_stride;
        for (int32_t oy = 0; oy < g.out_h; ++oy) {
            const int32_t y0 = oy * g.stride_h - g.pad_h;
            int32_t ky_lo, ky_hi;
            tap_range(y0, k_h, g.dil_h, g.in_h, &ky_lo, &ky_hi);
            const int8_t *row = in_b + y0 * row_stride;    /* only dereferenced at valid taps */
            const int full_rows = ky_lo == 0 && ky_hi == k_h && run_b > run_a;
            for (int32_t ox = 0; ox < out_w; ++ox, out += ch) {
                const int32_t x0 = ox * sw - pad_w;
                const int8_t *base = row + x0 * ch;
                if (full_rows && ox == run_a) {
                    const int32_t n = run_b - run_a;
                    if (three) {
                        const tq_dw3x3_run_job j = {base, ch, dy, w, bias, rq, out, n, sw * ch, blocks};
                        tq_dw3x3_run_pairs(&j);
                    } else {
                        const tq_dw_taps_job j = {offs, taps, base, w, bias, rq, out, blocks, n, sw * ch};
                        tq_dw_taps_run_pairs(&j);
                    }
                    out += (n - 1) * ch;
                    ox = run_b - 1;
                    continue;
                }
                int32_t kx_lo, kx_hi;
                tap_range(x0, k_w, g.dil_w, g.in_w, &kx_lo, &kx_hi);
                if (three) {
                    const int8_t *pp[9];
                    taps3x3(base, dx, dy, ky_lo, ky_hi, kx_lo, kx_hi, padbuf, pp);
                    const tq_dw3x3_ptr_job j = {pp, w, bias, rq, out, blocks};
                    tq_dw3x3_ptr_pairs(&j);
                } else {
                    const int32_t *o = tq_dw_pixel_offsets(offs, k_h, k_w, ky_lo, ky_hi, kx_lo, kx_hi, padbuf, base);
                    const tq_dw_taps_job j = {o, taps, base, w, bias, rq, out, blocks, 1, 0};
                    tq_dw_taps_run_pairs(&j);
                }
            }
        }
    }
}

void tq_depthwise_conv_2d_dsp_s8(const tq_dw_dsp_params *restrict p, const int8_t *in, const int32_t *w, int8_t *out,
                                 void *scratch)
{
    /* locals, not *p: stores through int8_t * would force reloads */
    const int32_t ch = p->geo.in_c, k_h = p->geo.k_h, k_w = p->geo.k_w, taps = k_h * k_w;
    const int32_t in_h = p->geo.in_h, in_w = p->geo.in_w, out_h = p->geo.out_h, out_w = p->geo.out_w;
    const int32_t row_stride = in_w * ch, dy = p->geo.dil_h * row_stride, dx = p->geo.dil_w * ch;
    const int32_t zp = p->output_offset, lo = p->act_min, hi = p->act_max;
    const int32_t mode = tq_rq_mode(p->rq_exact, lo, hi);
    const tq_rq *rq = p->rq;
    const int32_t *bias = p->bias_full;
    const int32_t full = ch & ~3;
    const int wide3 = k_w == 3 && p->geo.dil_w == 1;
    /* what padding taps read: the input zero point in all 4 bytes */
    const int32_t pad_word = (int32_t)((uint32_t)(uint8_t)(int8_t)(-p->input_offset) * 0x01010101u);
    const int8_t *pad = (const int8_t *)&pad_word;
    /* channels + 4 bytes of zero points: a padding tap's pointer, whatever the channel offset;
     * then the tap tables of tq_dw_taps_run (tq_dw_run.h) */
    int32_t *offs;
    int8_t *padbuf = tq_dw_zero_points(scratch, ch, p->input_offset, &offs);
    if (TQ_DW_DSP_PAIRS && (p->pairs || !TQ_DW_DSP_SINGLE)) {
        pairs_layer(p, in, w, out, padbuf, offs);
        return;
    }
    /* the interior run (tq_dw3x3_run): columns run_a..run_b - 1 */
    const int32_t sw = p->geo.stride_w;
    const int32_t run_a = (p->geo.pad_w + sw - 1) / sw;
    const int32_t run_b = TQ_MIN(out_w, in_w - 3 + p->geo.pad_w >= 0 ? (in_w - 3 + p->geo.pad_w) / sw + 1 : 0);
    const int ptr3 = k_h == 3 && k_w == 3 && (ch & 3) == 0 && mode == TQ_RQ_FAST_FULL;   /* tq_dw3x3_ptr */
    const int run3 = ptr3 && p->geo.dil_w == 1 && p->geo.dil_h == 1 && run_b > run_a;
    (void)ptr3;     /* the host has no asm */
    /* any other filter (tq_dw_taps_run): its taps' offsets from the window origin, in scratch
     * after the zero points (sized by tinyq/ops/depthwise_conv_2d.py dsp_scratch) */
    const int three = k_h == 3 && k_w == 3;
    const int taps_run = !three && !(TQ_DW_DSP_ROWS3 && wide3 && k_h <= TQ_DW_MAX_ROWS) && (ch & 3) == 0 &&
                         mode == TQ_RQ_FAST_FULL && taps <= TQ_DW_MAX_TAPS;
    if (taps_run) {
        tq_dw_interior_offsets(offs, k_h, k_w, dy, dx);
    }
    for (int32_t b = 0; b < p->geo.batches; ++b) {
        const int8_t *in_b = in + (int32_t)b * in_h * row_stride;
        for (int32_t oy = 0; oy < out_h; ++oy) {
            const int32_t y0 = oy * p->geo.stride_h - p->geo.pad_h;
            int32_t ky_lo, ky_hi;
            tap_range(y0, k_h, p->geo.dil_h, in_h, &ky_lo, &ky_hi);
            /* output columns whose windows lie inside the image, as one run */
            const int run_row = run3 && ky_lo == 0 && ky_hi == k_h;
            for (int32_t ox = 0; ox < out_w; ++ox, out += ch) {
                if (run_row && ox == run_a) {
                    const tq_dw3x3_run_job j = {in_b + y0 * row_stride + (ox * p->geo.stride_w - p->geo.pad_w) * ch,
                                                ch, dy, w, bias, rq, out, run_b - run_a, p->geo.stride_w * ch, ch / 4};
                    tq_dw3x3_run(&j);
                    out += (run_b - run_a - 1) * ch;
                    ox = run_b - 1;
                    continue;
                }
                const int32_t x0 = ox * p->geo.stride_w - p->geo.pad_w;
                int32_t kx_lo, kx_hi;
                tap_range(x0, k_w, p->geo.dil_w, in_w, &kx_lo, &kx_hi);
                const int interior = ky_lo == 0 && ky_hi == k_h && kx_lo == 0 && kx_hi == k_w;
                /* pixel (y0, x0); only dereferenced at valid taps */
                const int8_t *base = in_b + y0 * row_stride + x0 * ch;
                const int32_t *wblock = w;
                int32_t c = 0;
                if (k_h == 3 && k_w == 3 && (TQ_DW_DSP_C3X3 || ptr3)) {
                    if (TQ_DW_DSP_C3X3 && interior && p->geo.dil_w == 1) {
                        TQ_DW_C3X3(pixel3x3(base, dy, ch, full / 4, w, bias, rq, zp, lo, hi, mode, out));
                    } else {
                        const int8_t *pp[9];
                        taps3x3(base, dx, dy, ky_lo, ky_hi, kx_lo, kx_hi, padbuf, pp);
#ifdef TQ_HAVE_DSP
                        if (ptr3) {
                            const tq_dw3x3_ptr_job j = {pp, w, bias, rq, out, ch / 4};
                            tq_dw3x3_ptr(&j);
                        } else
#endif
                        {
#if TQ_DW_DSP_C3X3
                            pixel9(pp, full / 4, w, bias, rq, zp, lo, hi, mode, out);
#endif
                        }
                    }
                    c = full;
                    wblock = w + 2 * taps * (full / 4);
                } else if (taps_run) {
                    const int32_t *o = tq_dw_pixel_offsets(offs, k_h, k_w, ky_lo, ky_hi, kx_lo, kx_hi, padbuf, base);
                    const tq_dw_taps_job j = {o, taps, base, w, bias, rq, out, ch / 4, 1, 0};
                    tq_dw_taps_run(&j);
                    c = full;
                    wblock = w + 2 * taps * (full / 4);
                } else if (TQ_DW_DSP_ROWS3 && wide3 && k_h <= TQ_DW_MAX_ROWS) {
                    /* rows of taps, and which taps are padding */
                    const int8_t *rows[TQ_DW_MAX_ROWS];
                    uint32_t pad_mask = 0;
                    for (int32_t ky = 0; ky < k_h; ++ky) {
                        rows[ky] = base + ky * dy;
                    }
                    if (!interior) {
                        /* a row of taps is 7 << (3 * ky); a column 1, 2 or 4 in every row */
                        const uint32_t cols = (kx_lo > 0 ? 1u : 0u) | (kx_lo > 1 || kx_hi < 2 ? 2u : 0u) |
                                              (kx_hi < 3 ? 4u : 0u);
                        for (int32_t ky = 0; ky < k_h; ++ky) {
                            pad_mask |= (ky < ky_lo || ky >= ky_hi ? 7u : cols) << (3 * ky);
                        }
                    }
                    if (TQ_DW_DSP_C3X3 && interior && k_h == 3) {
                        TQ_DW_C3X3(pixel3x3(base, dy, ch, full / 4, w, bias, rq, zp, lo, hi, mode, out));
                    } else {
                        pixel3(rows, k_h, pad_mask, pad, ch, full / 4, w, bias, rq, zp, lo, hi, mode,
                               out);
                    }
                    c = full;
                    wblock = w + 2 * taps * (full / 4);
                }
                for (; c < full; c += 4, wblock += 2 * taps) {
                    acc4 a = {bias[c], bias[c + 1], bias[c + 2], bias[c + 3]};
                    taps_any(&a, base + c, 4, k_h, k_w, dy, dx, ky_lo, ky_hi, kx_lo, kx_hi, pad_word, wblock);
                    tq_rq_store4(rq + c, a.a0, a.a1, a.a2, a.a3, zp, lo, hi, mode, out + c);
                }
                if (c < ch) {
                    const int32_t n = ch - c;
                    acc4 a = {bias[c], bias[c + 1], bias[c + 2], bias[c + 3]};
                    taps_any(&a, base + c, n, k_h, k_w, dy, dx, ky_lo, ky_hi, kx_lo, kx_hi, pad_word, wblock);
                    store_tail(p, &a, c, n, out + c);
                }
            }
        }
    }
}
