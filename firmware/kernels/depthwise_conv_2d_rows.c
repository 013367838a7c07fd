#include "depthwise_conv_2d_rows.h"

#include <string.h>

#include "tq_common.h"

/* Unroll the taps where their count is a constant (the specialised shapes) */
#if defined(__GNUC__)
#define TQ_DWR_UNROLL _Pragma("GCC unroll 16")
#else
#define TQ_DWR_UNROLL
#endif

/* Filters up to this tall (after the 1-D transposition); the Python side checks it. */
#define TQ_DWR_MAX_KH 16

#ifdef TQ_HAVE_DSP
static inline int32_t dwr_smladx(int32_t a, int32_t b, int32_t acc)
{
    return __smladx((int16x2_t)a, (int16x2_t)b, acc);
}
static inline int32_t dwr_smlatb(int32_t a, int32_t b, int32_t acc) { return __smlatb(a, b, acc); }
/* low halfword of lo, high halfword of hi */
static inline int32_t dwr_pkhbt(int32_t lo, int32_t hi)
{
    int32_t r;
    __asm__("pkhbt %0, %1, %2" : "=r"(r) : "r"(lo), "r"(hi));
    return r;
}
#else
static inline int32_t dwr_smladx(int32_t a, int32_t b, int32_t acc)
{
    return (int32_t)((uint32_t)acc + (uint32_t)(tq_lo16(a) * tq_hi16(b)) + (uint32_t)(tq_hi16(a) * tq_lo16(b)));
}
static inline int32_t dwr_smlatb(int32_t a, int32_t b, int32_t acc)
{
    return (int32_t)((uint32_t)acc + (uint32_t)(tq_hi16(a) * tq_lo16(b)));
}
static inline int32_t dwr_pkhbt(int32_t lo, int32_t hi)
{
    return (int32_t)(((uint32_t)lo & 0xFFFFu) | ((uint32_t)hi & 0xFFFF0000u));
}
#endif

/* tq_rq_fast with the row's fields in registers */
static inline int32_t dwr_rq(int32_t acc, int32_t mult, int32_t add, int32_t rs)
{
    return tq_rq_sat8((tq_smmlar(acc, mult, add) + (acc >> 31)) >> rs);
}

/* One output channel's row: out_w outputs `step` bytes apart, two per pass over k_h rows of
 * weight pairs. rows[ky]: the channel's plane row ky (words: halfword pairs), from its first
 * tap. Constant kh, kw, s and mode (inlined into the callers below) fix the loops; dwr_channel_u,
 * for the specialised shapes, unrolls them. */
#define TQ_DWR_CHANNEL(NAME, UNROLL) \
TQ_ALWAYS_INLINE static inline void NAME(const int32_t *const *rows, const int32_t *w, int32_t kh, int32_t kw,      \
                                                int32_t s, int32_t mode, int32_t bias, const tq_rq *q, int32_t lo,  \
                                                int32_t hi, int32_t zp, int32_t out_w, int32_t step, int8_t *out)   \
{                                                                                                                   \
    const int32_t full = kw / 2, pw = (kw + 1) / 2;                                                                 \
    const int32_t mult = q->mult, add = q->add, rs = q->rs;                                                         \
    for (int32_t ox = 0; ox < out_w; ox += 2, out += 2 * step) {                                                    \
        int32_t a0 = bias, a1 = bias;                                                                               \
        const int32_t word = s == 1 ? ox >> 1 : ox;                                                                 \
        const int32_t *wk = w;                                                                                      \
        UNROLL                                                                                                      \
        for (int32_t ky = 0; ky < kh; ++ky, wk += pw) {                                                             \
            const int32_t *r = rows[ky] + word;                                                                     \
            if (s == 1) {                                                                                           \
                /* output 1 starts one tap later: its pairs straddle two words (PKHBT), read                        \
                 * swapped, so SMLADX */                                                                            \
                int32_t pv = r[0];                                                                                  \
                UNROLL                                                                                              \
                for (int32_t j = 0; j < full; ++j) {                                                                \
                    const int32_t pn = r[j + 1], wv = wk[j];                                                        \
                    a0 = tq_smlad(pv, wv, a0);                                                                      \
                    a1 = dwr_smladx(dwr_pkhbt(pn, pv), wv, a1);                                                     \
                    pv = pn;                                                                                        \
                }                                                                                                   \
                if (kw & 1) {                                                                                       \
                    a0 = tq_smlabb(pv, wk[full], a0);                                                               \
                    a1 = dwr_smlatb(pv, wk[full], a1);                                                              \
                }                                                                                                   \
            } else {                                                                                                \
                /* stride 2: output 1 is one word later */                                                          \
                UNROLL                                                                                              \
                for (int32_t j = 0; j < pw; ++j) {                                                                  \
                    a0 = tq_smlad(r[j], wk[j], a0);                                                                 \
                    a1 = tq_smlad(r[j + 1], wk[j], a1);                                                             \
                }                                                                                                   \
            }                                                                                                       \
        }                                                                                                           \
        int32_t y0, y1;                                                                                             \
        if (mode == TQ_RQ_EXACT) {                                                                                  \
            y0 = tq_rq_clamp(tq_rq_exact(q, a0, zp), lo, hi);                                                       \
            y1 = tq_rq_clamp(tq_rq_exact(q, a1, zp), lo, hi);                                                       \
        } else {                                                                                                    \
            y0 = dwr_rq(a0, mult, add, rs);                                                                         \
            y1 = dwr_rq(a1, mult, add, rs);                                                                         \
            if (mode == TQ_RQ_FAST_CLAMP) {                                                                         \
                y0 = TQ_CLAMP(y0, lo, hi);                                                                          \
                y1 = TQ_CLAMP(y1, lo, hi);                                                                          \
            }                                                                                                       \
        }                                                                                                           \
        out[0] = (int8_t)y0;                                                                                        \
        if (ox + 1 < out_w) {                                                                                       \
            out[step] = (int8_t)y1;                                                                                 \
        }                                                                                                           \
    }                                                                                                               \
}
TQ_DWR_CHANNEL(dwr_channel_u, TQ_DWR_UNROLL)
TQ_DWR_CHANNEL(dwr_channel, )

/* The specialised shapes, each with the fast requantization with and without a clamp. */
#define TQ_DWR_SHAPE(name, KH, KW, S)                                                                           \
    static void name(const int32_t *const *rows, const int32_t *w, int32_t mode, int32_t bias, const tq_rq *q,   \
                     int32_t lo, int32_t hi, int32_t out_w, int32_t step, int8_t *out)                           \
    {                                                                                                            \
        if (mode == TQ_RQ_FAST_FULL) {                                                                           \
            dwr_channel_u(rows, w, KH, KW, S, TQ_RQ_FAST_FULL, bias, q, lo, hi, 0, out_w, step, out);                 \
        } else {                                                                                                 \
            dwr_channel_u(rows, w, KH, KW, S, TQ_RQ_FAST_CLAMP, bias, q, lo, hi, 0, out_w, step, out);                \
        }                                                                                                        \
    }
TQ_DWR_SHAPE(dwr_5x5_s1, 5, 5, 1)
TQ_DWR_SHAPE(dwr_5x5_s2, 5, 5, 2)
TQ_DWR_SHAPE(dwr_1x3_s1, 1, 3, 1)
TQ_DWR_SHAPE(dwr_1x5_s1, 1, 5, 1)
TQ_DWR_SHAPE(dwr_1x9_s1, 1, 9, 1)

#ifdef TQ_HAVE_DSP
/* 1x5 and 1x9 at stride 1 with the fast requantization over all of int8: one channel's row in
 * asm, the weight pairs in registers (r4-r8), two outputs a pass from the plane words P0.. at the
 * pass's first tap (output u: SMLAD P_j (w[2j], w[2j+1]); output u+1: PKHBT P_j+1's low and P_j's
 * high, SMLADX), then the odd last tap (SMLABB / SMLATB), 37 instructions a pass for 1x9 against
 * about 48 from the C above; a last odd output by the C. stack: 0 bias, 4 mult, 8 add, 12 rs. */
typedef struct {
    const int32_t *row;         /* 0: the channel's plane row, from the first output's first tap */
    const int32_t *w;           /* 4: (k_w + 1) / 2 weight pairs */
    int32_t bias;               /* 8 */
    const tq_rq *q;             /* 12 */
    int8_t *out;                /* 16 */
    int32_t step;               /* 20: bytes between outputs */
    int32_t pairs;              /* 24: >= 1 */
} dwr1_job;
void tq_dwr1x5_s1(const dwr1_job *j);
void tq_dwr1x9_s1(const dwr1_job *j);
/* r9 and r10 gain the pair (Pa = P_j, Pb = P_j+1) against the weights W */
#define TQ_DWR1_STEP(pa, pb, wv)                                                              \
    "smlad r9, " pa ", " wv ", r9\n\tpkhbt lr, " pb ", " pa "\n\tsmladx r10, lr, " wv ", r10\n\t"
#define TQ_DWR1_FN(name, wregs, body)                                                          \
    ".pushsection .text." name ",\"ax\",%progbits\n\t.align 2\n\t.global " name "\n\t"           \
    ".type " name ", %function\n\t.thumb_func\n" name ":\n\t"                                     \
    "push {r4-r11, lr}\n\tsub sp, #16\n\t"                                                      \
    "ldr r1, [r0, #8]\n\tstr r1, [sp]\n\tldr r1, [r0, #12]\n\tldm r1, {r2, r3, r4}\n\t"            \
    "strd r2, r3, [sp, #4]\n\tstr r4, [sp, #12]\n\tldr r1, [r0, #4]\n\tldm r1, {" wregs "}\n\t"    \
    "ldrd r2, r3, [r0, #20]\n\tldr r1, [r0, #16]\n\tldr r0, [r0]\n"                             \
    "1:\n\tldr r9, [sp]\n\tmov r10, r9\n\t" body "adds r0, #4\n\t"                               \
    "ldrd r11, r12, [sp, #4]\n\tsmmlar lr, r9, r11, r12\n\tadd r9, lr, r9, asr #31\n\t"          \
    "smmlar lr, r10, r11, r12\n\tadd r10, lr, r10, asr #31\n\tldr lr, [sp, #12]\n\t"             \
    "asr r9, r9, lr\n\tasr r10, r10, lr\n\tssat r9, #8, r9\n\tssat r10, #8, r10\n\t"             \
    "strb r9, [r1]\n\tstrb r10, [r1, r2]\n\tadd r1, r1, r2, lsl #1\n\tsubs r3, #1\n\tbne 1b\n\t" \
    "add sp, #16\n\tpop {r4-r11, pc}\n\t.size " name ", .-" name "\n\t.popsection\n"
__asm__(TQ_DWR1_FN("tq_dwr1x5_s1", "r4, r5, r6",
                   "ldr r11, [r0]\n\tldr r12, [r0, #4]\n\t" TQ_DWR1_STEP("r11", "r12", "r4")
                   "ldr r11, [r0, #8]\n\t" TQ_DWR1_STEP("r12", "r11", "r5")
                   "smlabb r9, r11, r6, r9\n\tsmlatb r10, r11, r6, r10\n\t"));
__asm__(TQ_DWR1_FN("tq_dwr1x9_s1", "r4, r5, r6, r7, r8",
                   "ldr r11, [r0]\n\tldr r12, [r0, #4]\n\t" TQ_DWR1_STEP("r11", "r12", "r4")
                   "ldr r11, [r0, #8]\n\t" TQ_DWR1_STEP("r12", "r11", "r5")
                   "ldr r12, [r0, #12]\n\t" TQ_DWR1_STEP("r11", "r12", "r6")
                   "ldr r11, [r0, #16]\n\t" TQ_DWR1_STEP("r12", "r11", "r7")
                   "smlabb r9, r11, r8, r9\n\tsmlatb r10, r11, r8, r10\n\t"));
#undef TQ_DWR1_STEP
#undef TQ_DWR1_FN
#endif

/* Any other shape, and TFLM's requantization for any shape. */
static void dwr_any(const int32_t *const *rows, const int32_t *w, int32_t kh, int32_t kw, int32_t s, int32_t mode,
                    int32_t bias, const tq_rq *q, int32_t lo, int32_t hi, int32_t zp, int32_t out_w, int32_t step, int8_t *out)
{
    if (mode == TQ_RQ_EXACT) {
        dwr_channel(rows, w, kh, kw, s, TQ_RQ_EXACT, bias, q, lo, hi, zp, out_w, step, out);
    } else if (mode == TQ_RQ_FAST_FULL) {
        dwr_channel(rows, w, kh, kw, s, TQ_RQ_FAST_FULL, bias, q, lo, hi, 0, out_w, step, out);
    } else {
        dwr_channel(rows, w, kh, kw, s, TQ_RQ_FAST_CLAMP, bias, q, lo, hi, 0, out_w, step, out);
    }
}

/* ---- 3x3 filters: one block of 11 words per output channel, the weights in registers ----
 * blk[-5..-1] = bias, bias, mult, add, rs (the tq_rq row); blk[0..5] = per filter row the pairs
 * (w0, w1) and (w1, w2). Stride 1: outputs u and u+1 both come from the words P0 = (u, u+1) and
 * P1 = (u+2, u+3) without repacking (u: SMLAD P0 (w0, w1) + P1's low times w2; u+1: P0's high
 * times w0 + SMLAD P1 (w1, w2)); stride 2: u from P0 and P1's low, u+2 from P1 and P2's low. */
#define TQ_DWR_BLOCK 11
typedef struct {
    const int32_t *r0, *r1, *r2;   /* the channel's plane rows, from the pass's first word */
    const int32_t *blk;
    int8_t *out;
    int32_t step;                  /* bytes between output pixels: out_c */
} dwr_job;

/* One pass: two outputs (u, u + s) of a 3x3 filter over plane rows at word offset `word`. */
static inline void dwr3x3_pass(const dwr_job *j, int32_t word, int32_t s, int32_t *o0, int32_t *o1)
{
    const int32_t *b = j->blk;
    int32_t a0 = b[-5], a1 = b[-4];
    const int32_t *rows[3] = {j->r0 + word, j->r1 + word, j->r2 + word};
    for (int32_t ky = 0; ky < 3; ++ky) {
        const int32_t p0 = rows[ky][0], p1 = rows[ky][1];
        const int32_t w01 = b[2 * ky], w12 = b[2 * ky + 1];
        if (s == 1) {
            a0 = tq_smlabt(p1, w12, tq_smlad(p0, w01, a0));
            a1 = tq_smlad(p1, w12, dwr_smlatb(p0, w01, a1));
        } else {
            a0 = tq_smlabt(p1, w12, tq_smlad(p0, w01, a0));
            a1 = tq_smlabt(rows[ky][2], w12, tq_smlad(p1, w01, a1));
        }
    }
    *o0 = a0;
    *o1 = a1;
}

/* The passes of one channel row in C: the host's copy of the asm below, and every mode. n
 * outputs (odd: the last pass stores one). */
static void dwr3x3_c(const dwr_job *j, int32_t s, int32_t n, int32_t mode, int32_t lo, int32_t hi, int32_t zp)
{
    const int32_t *b = j->blk;
    const tq_rq *q = (const tq_rq *)(const void *)(b - 3);
    int8_t *out = j->out;
    for (int32_t ox = 0; ox < n; ox += 2, out += 2 * j->step) {
        int32_t a0, a1, y0, y1;
        dwr3x3_pass(j, s == 1 ? ox >> 1 : ox, s, &a0, &a1);
        if (mode == TQ_RQ_EXACT) {
            y0 = tq_rq_clamp(tq_rq_exact(q, a0, zp), lo, hi);
            y1 = tq_rq_clamp(tq_rq_exact(q, a1, zp), lo, hi);
        } else {
            y0 = TQ_CLAMP(dwr_rq(a0, q->mult, q->add, q->rs), lo, hi);
            y1 = TQ_CLAMP(dwr_rq(a1, q->mult, q->add, q->rs), lo, hi);
        }
        out[0] = (int8_t)y0;
        if (ox + 1 < n) {
            out[j->step] = (int8_t)y1;
        }
    }
}

/* All output channels of one output row: rows[ky] + ic * stride[ky] is input channel ic's plane
 * row ky (stride 0: the zero-point row); output channel oc = ic * dm + m has block blk + B oc
 * (TQ_DWR_BLOCK words). */
typedef struct {
    const int32_t *r0, *r1, *r2;   /* channel 0's plane rows */
    const int32_t *blk;            /* channel 0's block, + 5 */
    int8_t *out;                   /* channel 0 of the row's first pixel */
    int32_t step;                  /* out_c */
    int32_t adv;                   /* bytes the plane rows advance over the whole pairs */
    int32_t rewind;                /* ... and with the odd last output */
    int32_t dm;
    int32_t d0, d1, d2;            /* bytes from a plane row to the next channel's */
    int32_t n_oc;                  /* output channels */
    int32_t odd;                   /* 1: an odd number of outputs, the last alone */
    int32_t adv4;                  /* stride 1: bytes the rows advance over the whole quads */
    int32_t out_next;              /* multiplier 1: from the output after a channel's row (its single
                                    * output stores without a step) to the next channel's */
} dwr_rowjob;

#ifdef TQ_HAVE_DSP
/* The output row in asm (the fast requantization over all of int8, any number of outputs): r0-r2
 * plane rows, r3 block, lr the output, the rest on the stack; each output channel's passes, then
 * the next channel. Four outputs a pass: per filter row its two weight pairs in r7/r8 and the
 * words of r4-r6, the accumulators r9-r12 (stride 1: 61 instructions for 36 MACs; stride 2: 64);
 * then a pair (r11/r12 input words) and a last single output. About 20 instructions a channel
 * besides (multiplier 1; 30 otherwise). */
void tq_dwr3x3_s1(const dwr_rowjob *j);
void tq_dwr3x3_s1m(const dwr_rowjob *j);
void tq_dwr3x3_s2(const dwr_rowjob *j);
void tq_dwr3x3_s2m(const dwr_rowjob *j);

#define TQ_DWR_RQ(a)                                                                             \
    "smmlar r7, " a ", r4, r5\n\tadd " a ", r7, " a ", asr #31\n\tasr " a ", " a ", r6\n\t"       \
    "ssat " a ", #8, " a "\n\t"
#define TQ_DWR_FN(name) \
    ".pushsection .text." name ",\"ax\",%progbits\n\t.align 2\n\t.global " name "\n\t"             \
    ".type " name ", %function\n\t.thumb_func\n" name ":\n\t"                                     \
    "push {r4-r11, lr}\n\tsub sp, #56\n\t"
#define TQ_DWR_END(name) \
    "add sp, #56\n\tpop {r4-r11, pc}\n\t.size " name ", .-" name "\n\t.popsection\n"

/* Any multiplier. stack: 0 step, 4 end of the quads, 8 adv, 12 rewind, 16 m, 20 dm, 24 d0 d1 d2,
 * 36 output, 40 channels left, 44 odd, 48 adv4, 52 the pair flag (adv - adv4) */
#define TQ_DWR_ENTRY                                                                             \
    "ldr r1, [r0, #20]\n\tstr r1, [sp]\n\t"                                                      \
    "ldrd r1, r2, [r0, #24]\n\tstrd r1, r2, [sp, #8]\n\t"                                        \
    "ldr r1, [r0, #32]\n\tmovs r2, #0\n\tstrd r2, r1, [sp, #16]\n\t"                             \
    "add r1, r0, #36\n\tldm r1, {r4, r5, r6, r7, r8, r9}\n\t"                                    \
    "add r1, sp, #24\n\tstm r1, {r4, r5, r6}\n\tstr r7, [sp, #40]\n\tstr r8, [sp, #44]\n\t"       \
    "str r9, [sp, #48]\n\tldr r4, [sp, #8]\n\tsubs r4, r4, r9\n\tstr r4, [sp, #52]\n\t"           \
    "ldr lr, [r0, #16]\n\tstr lr, [sp, #36]\n\tldr r3, [r0, #12]\n\tldm r0, {r0, r1, r2}\n"
/* after a channel's outputs: its rows back, the next channel's planes where m wraps, its block
 * and output */
#define TQ_DWR_NEXT                                                                              \
    "3:\n\tldr r4, [sp, #12]\n\tsubs r0, r0, r4\n\tsubs r1, r1, r4\n\tsubs r2, r2, r4\n\t"        \
    "ldrd r5, r6, [sp, #16]\n\tadds r5, #1\n\tcmp r5, r6\n\tbne 4f\n\t"                          \
    "add r7, sp, #24\n\tldm r7, {r7, r8, r9}\n\tadd r0, r7\n\tadd r1, r8\n\tadd r2, r9\n\t"       \
    "movs r5, #0\n"                                                                              \
    "4:\n\tstr r5, [sp, #16]\n\tadds r3, #44\n\t"                                                \
    "ldr lr, [sp, #36]\n\tadd lr, lr, #1\n\tstr lr, [sp, #36]\n\t"                               \
    "ldr r4, [sp, #40]\n\tsubs r4, #1\n\tstr r4, [sp, #40]\n\tbne 2b\n\t"
/* Multiplier 1: the next channel's planes are always d0-d2 on, so the rows step by d - rewind and
 * the output by out_next, till the blocks' end. stack: 0 step, 4 end of the quads, 24 d0-d2 minus
 * rewind, 36 out_next, 40 the blocks' end, 44 odd, 48 adv4, 52 the pair flag */
#define TQ_DWR_ENTRY_M1                                                                          \
    "ldr r1, [r0, #20]\n\tstr r1, [sp]\n\t"                                                      \
    "add r2, r0, #36\n\tldm r2, {r4, r5, r6, r7, r8, r9}\n\t"                                    \
    "ldr r1, [r0, #28]\n\tsubs r4, r4, r1\n\tsubs r5, r5, r1\n\tsubs r6, r6, r1\n\t"              \
    "add r2, sp, #24\n\tstm r2, {r4, r5, r6}\n\tstr r8, [sp, #44]\n\tstr r9, [sp, #48]\n\t"       \
    "ldr r1, [r0, #24]\n\tsubs r1, r1, r9\n\tstr r1, [sp, #52]\n\t"                              \
    "ldr r3, [r0, #12]\n\tmovs r1, #44\n\tmla r7, r7, r1, r3\n\tstr r7, [sp, #40]\n\t"            \
    "ldr r1, [r0, #60]\n\tstr r1, [sp, #36]\n\t"                                                 \
    "ldr lr, [r0, #16]\n\tldm r0, {r0, r1, r2}\n"
#define TQ_DWR_NEXT_M1                                                                           \
    "3:\n\tadd r7, sp, #24\n\tldm r7, {r7, r8, r9}\n\tadd r0, r7\n\tadd r1, r8\n\tadd r2, r9\n\t" \
    "adds r3, #44\n\tldr r4, [sp, #36]\n\tadd lr, lr, r4\n\t"                                    \
    "ldr r4, [sp, #40]\n\tcmp r3, r4\n\tbne 2b\n\t"

/* One filter row (plane row rp, its weight pairs W01 W12 at r3 + off) of four outputs (r9-r12).
 * Stride 1: u = P0 W01 + lo(P1) hi(W12), u+1 = hi(P0) lo(W01) + P1 W12, u+2 and u+3 the same a
 * word on; the row advances two words. */
#define TQ_DWR_Q_S1(rp, off)                                                                     \
    "ldrd r4, r5, [" rp "], #8\n\tldr r6, [" rp "]\n\tldrd r7, r8, [r3, #" off "]\n\t"             \
    "smlad r9, r4, r7, r9\n\tsmlabt r9, r5, r8, r9\n\t"                                           \
    "smlatb r10, r4, r7, r10\n\tsmlad r10, r5, r8, r10\n\t"                                       \
    "smlad r11, r5, r7, r11\n\tsmlabt r11, r6, r8, r11\n\t"                                       \
    "smlatb r12, r5, r7, r12\n\tsmlad r12, r6, r8, r12\n\t"
/* Stride 2: output k = P_k W01 + lo(P_k+1) hi(W12); the row advances four words. */
#define TQ_DWR_Q_S2(rp, off)                                                                     \
    "ldrd r4, r5, [" rp "], #8\n\tldrd r7, r8, [r3, #" off "]\n\t"                                 \
    "smlad r9, r4, r7, r9\n\tsmlabt r9, r5, r8, r9\n\tsmlad r10, r5, r7, r10\n\t"                 \
    "ldrd r4, r5, [" rp "], #8\n\tsmlabt r10, r4, r8, r10\n\t"                                   \
    "smlad r11, r4, r7, r11\n\tsmlabt r11, r5, r8, r11\n\tsmlad r12, r5, r7, r12\n\t"             \
    "ldr r4, [" rp "]\n\tsmlabt r12, r4, r8, r12\n\t"
/* ... of two outputs (r9, r10): stride 1 a word on, stride 2 two */
#define TQ_DWR_P_S1(rp, off)                                                                     \
    "ldrd r11, r12, [" rp "], #4\n\tldrd r4, r5, [r3, #" off "]\n\t"                               \
    "smlad r9, r11, r4, r9\n\tsmlabt r9, r12, r5, r9\n\t"                                         \
    "smlatb r10, r11, r4, r10\n\tsmlad r10, r12, r5, r10\n\t"
#define TQ_DWR_P_S2(rp, off)                                                                     \
    "ldrd r11, r12, [" rp "], #8\n\tldrd r4, r5, [r3, #" off "]\n\t"                               \
    "smlad r9, r11, r4, r9\n\tsmlabt r9, r12, r5, r9\n\tsmlad r10, r12, r4, r10\n\t"              \
    "ldr r11, [" rp "]\n\tsmlabt r10, r11, r5, r10\n\t"
/* ... of one (r9): the row a word on (stride 1), two (stride 2) */
#define TQ_DWR_1(rp, off, adv)                                                                   \
    "ldrd r11, r12, [" rp "], #" adv "\n\tldrd r4, r5, [r3, #" off "]\n\t"                         \
    "smlad r9, r11, r4, r9\n\tsmlabt r9, r12, r5, r9\n\t"
#define TQ_DWR_1_S1(rp, off) TQ_DWR_1(rp, off, "4")
#define TQ_DWR_1_S2(rp, off) TQ_DWR_1(rp, off, "8")

/* One channel's row: quads to the end in [sp, #4], a pair where [sp, #52] is not 0, a single
 * where [sp, #44] (odd) is not 0; then label 3 (the channel step) */
#define TQ_DWR_ROW(Q, P, ONE)                                                                    \
    "2:\n\tldr r4, [sp, #48]\n\tadd r4, r0, r4\n\tstr r4, [sp, #4]\n\tcmp r0, r4\n\tbeq 5f\n"     \
    "1:\n\tldrd r9, r10, [r3, #-20]\n\tldrd r11, r12, [r3, #-20]\n\t"                              \
    Q("r0", "0") Q("r1", "8") Q("r2", "16")                                                       \
    "ldmdb r3, {r4, r5, r6}\n\t" TQ_DWR_RQ("r9") TQ_DWR_RQ("r10") TQ_DWR_RQ("r11") TQ_DWR_RQ("r12") \
    "ldrd r7, r8, [sp]\n\tstrb r9, [lr]\n\tstrb r10, [lr, r7]\n\tadd lr, lr, r7, lsl #1\n\t"     \
    "strb r11, [lr]\n\tstrb r12, [lr, r7]\n\tadd lr, lr, r7, lsl #1\n\t"                         \
    "cmp r0, r8\n\tbne 1b\n"                                                                     \
    "5:\n\tldr r4, [sp, #52]\n\tcmp r4, #0\n\tbeq 6f\n\t"                                        \
    "ldrd r9, r10, [r3, #-20]\n\t" P("r0", "0") P("r1", "8") P("r2", "16")                        \
    "ldmdb r3, {r4, r5, r6}\n\t" TQ_DWR_RQ("r9") TQ_DWR_RQ("r10")                                 \
    "ldr r7, [sp]\n\tstrb r9, [lr]\n\tstrb r10, [lr, r7]\n\tadd lr, lr, r7, lsl #1\n"            \
    "6:\n\tldr r4, [sp, #44]\n\tcmp r4, #0\n\tbeq 3f\n\t"                                        \
    "ldr r9, [r3, #-20]\n\t" ONE("r0", "0") ONE("r1", "8") ONE("r2", "16")                        \
    "ldmdb r3, {r4, r5, r6}\n\t" TQ_DWR_RQ("r9") "strb r9, [lr]\n"
__asm__(TQ_DWR_FN("tq_dwr3x3_s1") TQ_DWR_ENTRY TQ_DWR_ROW(TQ_DWR_Q_S1, TQ_DWR_P_S1, TQ_DWR_1_S1)
        TQ_DWR_NEXT TQ_DWR_END("tq_dwr3x3_s1"));
__asm__(TQ_DWR_FN("tq_dwr3x3_s1m") TQ_DWR_ENTRY_M1 TQ_DWR_ROW(TQ_DWR_Q_S1, TQ_DWR_P_S1, TQ_DWR_1_S1)
        TQ_DWR_NEXT_M1 TQ_DWR_END("tq_dwr3x3_s1m"));
__asm__(TQ_DWR_FN("tq_dwr3x3_s2") TQ_DWR_ENTRY TQ_DWR_ROW(TQ_DWR_Q_S2, TQ_DWR_P_S2, TQ_DWR_1_S2)
        TQ_DWR_NEXT TQ_DWR_END("tq_dwr3x3_s2"));
__asm__(TQ_DWR_FN("tq_dwr3x3_s2m") TQ_DWR_ENTRY_M1 TQ_DWR_ROW(TQ_DWR_Q_S2, TQ_DWR_P_S2, TQ_DWR_1_S2)
        TQ_DWR_NEXT_M1 TQ_DWR_END("tq_dwr3x3_s2m"));
#endif

static void dwr3x3_out_row(const int32_t *const *rows, const int32_t *stride, int32_t ch, int32_t dm,
                           const int32_t *blk, int8_t *out, int32_t step, int32_t s, int32_t n, int32_t mode,
                           int32_t lo, int32_t hi, int32_t zp)
{
#ifdef TQ_HAVE_DSP
    if (mode == TQ_RQ_FAST_FULL) {
        const int32_t adv = (n / 2) * 4 * s;
        const dwr_rowjob j = {rows[0], rows[1], rows[2], blk + 5, out, step, adv, adv + (n & 1) * 4 * s, dm,
                              stride[0] * 4, stride[1] * 4, stride[2] * 4, ch * dm, n & 1, (n / 4) * 8 * s,
                              1 - (n & ~1) * step};
        if (s == 1) {
            (dm == 1 ? tq_dwr3x3_s1m : tq_dwr3x3_s1)(&j);
        } else {
            (dm == 1 ? tq_dwr3x3_s2m : tq_dwr3x3_s2)(&j);
        }
        return;
    }
#endif
    const int32_t *r0 = rows[0], *r1 = rows[1], *r2 = rows[2];
    dwr_job j = {r0, r1, r2, blk + 5, out, step};
    for (int32_t ic = 0; ic < ch; ++ic, r0 += stride[0], r1 += stride[1], r2 += stride[2]) {
        for (int32_t m = 0; m < dm; ++m, blk += TQ_DWR_BLOCK, ++out) {
            j.r0 = r0;
            j.r1 = r1;
            j.r2 = r2;
            j.blk = blk + 5;
            j.out = out;
            dwr3x3_c(&j, s, n, mode, lo, hi, zp);
        }
    }
}

/* The whole-pair part of widening one input row: `blocks` blocks of 4 channels, `pairs` pixel
 * pairs each, from src (pixel 0 of the pairs, channel 0) into plane 0 at q0 (a word), planes
 * plane_bytes apart, pixels chs bytes apart. */
typedef struct {
    const int8_t *src;
    int32_t chs;
    int32_t *q0;                   /* at any halfword */
    int32_t plane_bytes;
    int32_t pairs, blocks;
} dwr_widen_job;

#ifdef TQ_HAVE_DSP
/* 15 instructions per 2 pixels of 4 channels: PKHBT/PKHTB pair the two pixels' low and high
 * halfwords (channels c, c+1 and c+2, c+3 of both), SXTB16 then yields each channel's pair */
void tq_dwr_widen(const dwr_widen_job *j);
__asm__(".pushsection .text.tq_dwr_widen,\"ax\",%progbits\n\t.align 2\n\t.global tq_dwr_widen\n\t"
        ".type tq_dwr_widen, %function\n\t.thumb_func\ntq_dwr_widen:\n\t"
        "push {r4-r11, lr}\n\tsub sp, #16\n\t"
        "ldr r1, [r0, #4]\n\tldr r3, [r0, #12]\n\tldrd r4, r5, [r0, #16]\n\tstrd r4, r5, [sp]\n\t"
        "ldr lr, [r0]\n\tldr r2, [r0, #8]\n\tstr r2, [sp, #8]\n"
        "2:\n\tmov r0, lr\n\tldr r2, [sp, #8]\n\tadd r5, r2, r3\n\tadd r6, r5, r3\n\tadd r7, r6, r3\n\t"
        "ldr r4, [sp]\n"
        "1:\n\tldr r8, [r0]\n\tldr r9, [r0, r1]\n\tadd r0, r0, r1, lsl #1\n\t"
        "pkhbt r10, r8, r9, lsl #16\n\tpkhtb r11, r9, r8, asr #16\n\t"
        "sxtb16 r12, r10\n\tstr r12, [r2], #4\n\tsxtb16 r10, r10, ror #8\n\tstr r10, [r5], #4\n\t"
        "sxtb16 r12, r11\n\tstr r12, [r6], #4\n\tsxtb16 r11, r11, ror #8\n\tstr r11, [r7], #4\n\t"
        "subs r4, #1\n\tbne 1b\n\t"
        "add lr, lr, #4\n\tldr r2, [sp, #8]\n\tadd r2, r2, r3, lsl #2\n\tstr r2, [sp, #8]\n\t"
        "ldr r4, [sp, #4]\n\tsubs r4, #1\n\tstr r4, [sp, #4]\n\tbne 2b\n\t"
        "add sp, #16\n\tpop {r4-r11, pc}\n\t.size tq_dwr_widen, .-tq_dwr_widen\n\t.popsection\n");
#else
static void tq_dwr_widen(const dwr_widen_job *j)
{
    const int32_t pb = j->plane_bytes, chs = j->chs;
    for (int32_t b = 0; b < j->blocks; ++b) {
        const int8_t *s = j->src + 4 * b;
        uint8_t *q = (uint8_t *)(void *)j->q0 + 4 * b * pb;   /* any halfword: memcpy */
        for (int32_t i = 0; i < j->pairs; ++i, s += 2 * chs, q += 4) {
            const int32_t va = tq_read_s32(s), vb = tq_read_s32(s + chs);
            const int32_t a02 = tq_sxtb16(va), a13 = tq_sxtb16_ror8(va);
            const int32_t b02 = tq_sxtb16(vb), b13 = tq_sxtb16_ror8(vb);
            const uint32_t v[4] = {((uint32_t)a02 & 0xFFFFu) | ((uint32_t)b02 << 16),
                                   ((uint32_t)a13 & 0xFFFFu) | ((uint32_t)b13 << 16),
                                   ((uint32_t)a02 >> 16) | ((uint32_t)b02 & 0xFFFF0000u),
                                   ((uint32_t)a13 >> 16) | ((uint32_t)b13 & 0xFFFF0000u)};
            for (int32_t k = 0; k < 4; ++k) {
                memcpy(q + k * pb, &v[k], 4);
            }
        }
    }
}
#endif

/* Input row `src` (in_w pixels, chs bytes apart; ch channels of them) into the ring row dst: plane
 * c holds channel c at halfword pad + x. Pixel pairs (x, x+1) of whole blocks of 4 channels by
 * tq_dwr_widen, x even (an odd pad puts them across words: a word store at any halfword is one
 * STR on the M-profile); an odd pixel count ends with the pair (n-2, n-1) again. The channels past
 * the last block one by one. */
static void dwr_widen(const int8_t *src, int32_t in_w, int32_t chs, int32_t ch, int32_t pad, int32_t width,
                      int16_t *dst)
{
    const int32_t n = TQ_MIN(in_w, width - pad), blocks = ch / 4;
    const int32_t full = n >= 2 ? 4 * blocks : 0;
    for (int32_t c = full; c < ch; ++c) {
        int16_t *q = dst + c * width + pad;
        for (int32_t x = 0; x < n; ++x) {
            q[x] = src[x * chs + c];
        }
    }
    if (full > 0) {
        dwr_widen_job j = {src, chs, (int32_t *)(void *)(dst + pad), 2 * width, n / 2, blocks};
        tq_dwr_widen(&j);
        if (n & 1) {
            j.src = src + (n - 2) * chs;
            j.q0 = (int32_t *)(void *)(dst + pad + n - 2);
            j.pairs = 1;
            tq_dwr_widen(&j);
        }
    }
}

/* What every output row of one group of channels needs (the layer's constants). */
typedef struct {
    const tq_dw_rows_params *p;
    const int32_t *w;
    int32_t kh, kw, s, dm, oc_n, out_w, wstep, bw, mode, lo, hi;
} dwr_layer;

#ifdef TQ_HAVE_DSP
/* dwr_group_row for 1x5 and 1x9 at stride 1 with the fast requantization over all of int8: each
 * channel's pairs of outputs by the asm (tq_dwr1x5_s1, tq_dwr1x9_s1), a last odd one by the C. */
static void dwr1_group_row(const dwr_layer *L, const int32_t *row, int32_t stride, int32_t g0, int32_t gn,
                           int8_t *out_row)
{
    const tq_dw_rows_params *p = L->p;
    const int32_t kw = L->kw, dm = L->dm, oc_n = L->oc_n, out_w = L->out_w;
    const int32_t *wc = L->w + g0 * dm * L->bw;
    for (int32_t ic = 0; ic < gn; ++ic, row += stride) {
        for (int32_t m = 0; m < dm; ++m, wc += L->wstep) {
            const int32_t oc = (g0 + ic) * dm + m;
            int8_t *o = out_row + ic * dm + m;
            const tq_rq *q = p->rq + oc;
            const int32_t bias = p->bias_full[oc];
            const dwr1_job j = {row, wc, bias, q, o, oc_n, out_w / 2};
            if (j.pairs > 0) {
                (kw == 5 ? tq_dwr1x5_s1 : tq_dwr1x9_s1)(&j);
            }
            if (out_w & 1) {
                const int32_t *last[1] = {row + (out_w - 1) / 2};
                (kw == 5 ? dwr_1x5_s1 : dwr_1x9_s1)(last, wc, TQ_RQ_FAST_FULL, bias, q, L->lo, L->hi, 1, oc_n,
                                                    o + (out_w - 1) * oc_n);
            }
        }
    }
}
#endif

/* One output row of input channels g0 .. g0 + gn - 1 from the ring rows `rows` (stride: a plane's
 * words, 0 for the zero-point row) into out_row (its pixel 0, channel g0 * dm). */
static void dwr_group_row(const dwr_layer *L, const int32_t *const *rows, const int32_t *stride, int32_t g0,
                          int32_t gn, int8_t *out_row)
{
    const tq_dw_rows_params *p = L->p;
    const int32_t kh = L->kh, kw = L->kw, s = L->s, dm = L->dm, oc_n = L->oc_n, out_w = L->out_w;
    const int32_t mode = L->mode, lo = L->lo, hi = L->hi;
    const int32_t *wg = L->w + g0 * dm * L->bw;
    if (kh == 3 && kw == 3) {
        dwr3x3_out_row(rows, stride, gn, dm, wg, out_row, oc_n, s, out_w, mode, lo, hi, p->output_offset);
        return;
    }
#ifdef TQ_HAVE_DSP
    if (kh == 1 && s == 1 && (kw == 5 || kw == 9) && mode == TQ_RQ_FAST_FULL) {
        dwr1_group_row(L, rows[0], stride[0], g0, gn, out_row);
        return;
    }
#endif
    const int32_t *wc = wg;
    for (int32_t ic = 0; ic < gn; ++ic) {
        const int32_t *prow[TQ_DWR_MAX_KH];
        for (int32_t ky = 0; ky < kh; ++ky) {
            prow[ky] = rows[ky] + ic * stride[ky];
        }
        for (int32_t m = 0; m < dm; ++m, wc += L->wstep) {
            const int32_t oc = (g0 + ic) * dm + m;
            int8_t *o = out_row + ic * dm + m;
            const tq_rq *q = p->rq + oc;
            const int32_t bias = p->bias_full[oc];
            if (mode == TQ_RQ_EXACT) {
                dwr_any(prow, wc, kh, kw, s, mode, bias, q, lo, hi, p->output_offset, out_w, oc_n, o);
            } else if (kh == 5 && kw == 5) {
                (s == 1 ? dwr_5x5_s1 : dwr_5x5_s2)(prow, wc, mode, bias, q, lo, hi, out_w, oc_n, o);
            } else if (kh == 1 && s == 1 && (kw == 3 || kw == 5 || kw == 9)) {
                (kw == 3 ? dwr_1x3_s1 : kw == 5 ? dwr_1x5_s1 : dwr_1x9_s1)(prow, wc, mode, bias, q, lo, hi, out_w,
                                                                          oc_n, o);
            } else {
                dwr_any(prow, wc, kh, kw, s, mode, bias, q, lo, hi, p->output_offset, out_w, oc_n, o);
            }
        }
    }
}

void tq_depthwise_conv_2d_rows_s8(const tq_dw_rows_params *restrict p, const int8_t *in, const int32_t *w,
                                  int8_t *out, void *scratch)
{
    tq_window g = p->geo;
    if (g.in_w == 1 && g.out_w == 1 && g.k_w == 1 && g.k_h > 1) {
        /* [N, H, 1, C] under kh x 1 is [N, 1, H, C] under 1 x kh: the same bytes */
        int16_t t;
        t = g.in_h, g.in_h = g.in_w, g.in_w = t;
        t = g.out_h, g.out_h = g.out_w, g.out_w = t;
        t = g.k_h, g.k_h = g.k_w, g.k_w = t;
        t = g.stride_h, g.stride_h = g.stride_w, g.stride_w = t;
        t = g.pad_h, g.pad_h = g.pad_w, g.pad_w = t;
    }
    const int32_t kh = g.k_h, kw = g.k_w, s = g.stride_w, ch = g.in_c, oc_n = g.out_c, dm = p->depth_mult;
    const int32_t grp = p->group > 0 && p->group < ch ? p->group : ch;
    const int32_t width = tq_dw_rows_width(g.out_w, s, kw), plane_words = width / 2;
    const int32_t lo = p->act_min, hi = p->act_max, mode = tq_rq_mode(p->rq_exact, lo, hi);
    const int32_t pw = (kw + 1) / 2, wstep = kh * pw, out_w = g.out_w;
    const int32_t bw = kh == 3 && kw == 3 ? TQ_DWR_BLOCK : wstep;
    const dwr_layer L = {p, w, kh, kw, s, dm, oc_n, out_w, wstep, bw, mode, lo, hi};
    int16_t *ring = (int16_t *)scratch;
    int32_t *zrow = (int32_t *)(void *)(ring + kh * grp * width);
    const int16_t zp = (int16_t)p->input_zp;
    const int32_t zword = (int32_t)(((uint32_t)(uint16_t)zp) | ((uint32_t)(uint16_t)zp << 16));
    /* padding: the zero-point row, and each ring plane's columns outside the image */
    for (int32_t i = 0; i < plane_words; ++i) {
        zrow[i] = zword;
    }
    const int32_t right = TQ_MIN(g.pad_w + g.in_w, width);
    for (int32_t r = 0; r < kh * grp; ++r) {
        int16_t *q = ring + r * width;
        for (int32_t i = 0; i < TQ_MIN(g.pad_w, width); ++i) {
            q[i] = zp;
        }
        for (int32_t i = right; i < width; ++i) {
            q[i] = zp;
        }
    }
    /* Groups run one after the other over the whole image, each group's outputs overwriting only
     * its own inputs, where the output sits a whole number of pixels from the input or apart from
     * it. Elsewhere (the arena may place them any number of bytes apart) every output row is made
     * group by group in scratch after the ring row of zero points, from its window rows widened
     * anew, and copied out after the last group has read them: the rows in order, as one group. */
    const int32_t in_bytes = g.batches * g.in_h * g.in_w * ch, row_bytes = out_w * oc_n;
    const intptr_t gap = (intptr_t)out - (intptr_t)in;
    const int staged = grp < ch && gap < in_bytes && -gap < g.batches * g.out_h * row_bytes && gap % ch != 0;
    int8_t *stage = (int8_t *)(void *)(zrow + plane_words);
    const int32_t *rows[TQ_DWR_MAX_KH];
    int32_t stride[TQ_DWR_MAX_KH];
    for (int32_t b = 0; b < g.batches; ++b) {
        const int8_t *in_b = in + b * g.in_h * g.in_w * ch;
        int8_t *out_b = out + b * g.out_h * row_bytes;
        for (int32_t g0 = 0; g0 < (staged ? 1 : ch); g0 += grp) {
            int32_t next = 0;   /* first input row not yet in the ring */
            for (int32_t oy = 0; oy < g.out_h; ++oy) {
                const int32_t y0 = oy * g.stride_h - g.pad_h;
                for (int32_t c0 = staged ? 0 : g0; c0 < (staged ? ch : g0 + 1); c0 += grp) {
                    const int32_t gn = TQ_MIN(grp, ch - c0);
                    for (int32_t ky = 0; ky < kh; ++ky) {
                        const int32_t y = y0 + ky;
                        if (y < 0 || y >= g.in_h) {
                            rows[ky] = zrow;
                            stride[ky] = 0;
                            continue;
                        }
                        int16_t *ring_row = ring + (staged ? ky : y % kh) * grp * width;
                        if (staged || y >= next) {
                            /* rows a stride skips are never read */
                            dwr_widen(in_b + y * g.in_w * ch + c0, g.in_w, ch, gn, g.pad_w, width, ring_row);
                            next = y + 1;
                        }
                        rows[ky] = (const int32_t *)(const void *)ring_row;
                        stride[ky] = plane_words;
                    }
                    dwr_group_row(&L, rows, stride, c0, gn, (staged ? stage : out_b + oy * row_bytes) + c0 * dm);
                }
                if (staged) {
                    int8_t *o = out_b + oy * row_bytes;
                    int32_t i = 0;
                    for (; i + 4 <= row_bytes; i += 4) {   /* words (newlib-nano's memcpy goes by bytes) */
                        const int32_t v = tq_read_s32(stage + i);
                        memcpy(o + i, &v, 4);
                    }
                    for (; i < row_bytes; ++i) {
                        o[i] = stage[i];
                    }
                }
            }
        }
    }
}
