#include "fully_connected_dsp8.h"

#include <string.h>

#include "tq_common.h"
#include "tq_config.h"

/* Kernel switches (tinyq/ops/kernel_config.py): the asm path of layers with a tq_rq row per
 * channel (TQ_FC8_ROWS), of layers with one row (TQ_FC8_ONE_ROW). A model without such layers
 * leaves the path out (about 400 bytes); a layer that needed it would still be right (the C
 * path below), only slower. */
#ifndef TQ_FC8_ROWS
#define TQ_FC8_ROWS 1
#endif
#ifndef TQ_FC8_ONE_ROW
#define TQ_FC8_ONE_ROW 1
#endif
/* TQ_FC8_WIDE 0 / TQ_FC8_DIRECT 0: no layer of the widened-row / in-place kernel, whose asm
 * then leaves the build (the other's entry point is dropped by the linker). */
#ifndef TQ_FC8_WIDE
#define TQ_FC8_WIDE 1
#endif
#ifndef TQ_FC8_DIRECT
#define TQ_FC8_DIRECT 1
#endif
/* TQ_FC8_SLOW: the asm sums of the general path (TFLM's requantization, a clamped activation
 * range, per-channel shifts, an in-place row not a multiple of 8 long); without, C. */
#ifndef TQ_FC8_SLOW
#define TQ_FC8_SLOW 1
#endif

/* The halfword pair x, each times f (the products fit int16). */
static inline int32_t scale_pair(int32_t x, int32_t f)
{
    return (int32_t)(((uint32_t)(tq_lo16(x) * f) & 0xFFFFu) | ((uint32_t)(tq_hi16(x) * f) << 16));
}

/* The input word v widened (the order of the header) and times 2^shift into o[0], o[1]; *sum
 * plus their halfwords. */
static inline void widen_word(int32_t v, int32_t shift, int32_t *o, int32_t *sum)
{
    int32_t lo = tq_sxtb16(v), hi = tq_sxtb16_ror8(v);
    if (shift == 1) {   /* the usual factor 2: one halfwise doubling (no carry between halves) */
        lo = tq_sadd16(lo, lo);
        hi = tq_sadd16(hi, hi);
    } else if (shift > 1) {
        lo = scale_pair(lo, 1 << shift);
        hi = scale_pair(hi, 1 << shift);
    }
    o[0] = lo;
    o[1] = hi;
    *sum = tq_smlad(tq_sadd16(lo, hi), 0x00010001, *sum);
}

/* Widen the n inputs at row into the `words` words at dst (the order of the header), times
 * 2^shift, zeros past n; the sum of what it wrote. */
static int32_t widen_row(const int8_t *row, int32_t n, int32_t words, int32_t shift, int32_t *dst)
{
    int32_t sum = 0, g = n >> 2;
    int32_t *o = dst;
    /* the whole groups, the usual shift of 1 apart (a loop without the branches) */
    if (shift == 1) {
#ifdef TQ_HAVE_DSP
        /* 10 instructions a group (gcc's loop: 15) */
        if (g > 0) {
            int32_t t, lo, hi;
            __asm__ volatile("1:\n\t"
                             "ldr %[t], [%[row]], #4\n\t"
                             "sxtb16 %[lo], %[t]\n\t"
                             "sxtb16 %[hi], %[t], ror #8\n\t"
                             "sadd16 %[lo], %[lo], %[lo]\n\t"
                             "sadd16 %[hi], %[hi], %[hi]\n\t"
                             "strd %[lo], %[hi], [%[o]], #8\n\t"
                             "sadd16 %[t], %[lo], %[hi]\n\t"
                             "smlad %[sum], %[t], %[ones], %[sum]\n\t"
                             "subs %[g], %[g], #1\n\t"
                             "bne 1b\n\t"
                             : [t] "=&r"(t), [lo] "=&r"(lo), [hi] "=&r"(hi), [row] "+r"(row), [o] "+r"(o),
                               [sum] "+r"(sum), [g] "+r"(g)
                             : [ones] "r"(0x00010001)
                             : "cc", "memory");
        }
#else
        for (; g > 0; --g, row += 4, o += 2) {
            widen_word(tq_read_s32(row), 1, o, &sum);
        }
#endif
    } else {
        for (; g > 0; --g, row += 4, o += 2) {
            widen_word(tq_read_s32(row), shift, o, &sum);
        }
    }
    /* the partial group, then zeros */
    for (int32_t d = n & ~3; d < 2 * words; d += 4, o += 2) {
        int8_t t[4] = {0, 0, 0, 0};
        for (int32_t j = 0; j < n - d && j < 4; ++j) {   /* a loop, not libc's memcpy */
            t[j] = row[j];
        }
        widen_word(tq_read_s32(t), shift, o, &sum);
    }
    return sum;
}

/* Scratch word j of an int8 row of n inputs widened in place (the scratch order: SXTB16 of the
 * group's word for even j, SXTB16 ROR 8 for odd), zeros past n; the C paths of the direct kernel. */
static inline int32_t x_word(const int8_t *row, int32_t n, int32_t j)
{
    const int32_t d = (j >> 1) << 2;
    int32_t v;
    if (d + 4 <= n) {
        v = tq_read_s32(row + d);
    } else {
        uint32_t u = 0;   /* the bytes one by one (a copy loop would become libc's memcpy) */
        for (int32_t k = 0; d + k < n && k < 4; ++k) {
            u |= (uint32_t)(uint8_t)row[d + k] << (8 * k);
        }
        v = (int32_t)u;
    }
    return (j & 1) ? tq_sxtb16_ror8(v) : tq_sxtb16(v);
}

/* x word j: from the widened row in scratch, or (no scratch) from the int8 row itself. */
static inline int32_t x_at(const int32_t *scratch, const int8_t *row, int32_t n, int32_t j)
{
    return scratch ? scratch[j] : x_word(row, n, j);
}

/* The sum of an int8 row (the direct kernel's S). */
static int32_t row_sum(const int8_t *row, int32_t n)
{
    int32_t sum = 0, d = 0;
    for (; d + 4 <= n; d += 4) {
        const int32_t v = tq_read_s32(row + d);
        sum = tq_smlad(tq_sadd16(tq_sxtb16(v), tq_sxtb16_ror8(v)), 0x00010001, sum);
    }
    for (; d < n; ++d) {
        sum += row[d];
    }
    return sum;
}

#ifdef TQ_HAVE_DSP
/* The asm of a block of 4 channels (two pairs P, Q; the header's sums): biases from the stream,
 * minus corr; then 8 inputs a step against 8 weight words (two LDMs of P's and Q's words for two
 * scratch words), four steps a loop pass until x reaches `end`, entered part-way for a count
 * of steps (`blocks` >= 1) not a multiple of 4; up, uq = acc[A] of P and Q, vp, vq = acc[B]. Every register is in use: 4 sums, the two
 * pointers, 4 inputs and 4 weights (LDM lists are fixed and ascending); end and the counts are
 * read from the stack. From scratch a step is 27 instructions for 32 MACs; reading the int8 row
 * in place (two LDRs, any alignment, and 4 SXTB16) 32. */
#define TQ_Q8_MAC(u, v, xr, wr) \
    "smlad %[" u "], " xr ", " wr ", %[" u "]\n\t" \
    "sxtb16 " wr ", " wr ", ror #8\n\t" \
    "smlad %[" v "], " xr ", " wr ", %[" v "]\n\t"
#define TQ_Q8_W8(x0, x1) \
    "ldm %[w]!, {r4, r5, r6, lr}\n\t" \
    TQ_Q8_MAC("up", "vp", x0, "r4") TQ_Q8_MAC("uq", "vq", x0, "r5") \
    TQ_Q8_MAC("up", "vp", x1, "r6") TQ_Q8_MAC("uq", "vq", x1, "lr")
#define TQ_Q8_STEP_SCRATCH \
    "ldm %[x]!, {r8, r9, r10, r11}\n\t" TQ_Q8_W8("r8", "r9") TQ_Q8_W8("r10", "r11")
/* 8 int8 inputs read in place and widened into the 4 scratch words' order, r8-r11. */
#define TQ_Q8_X8 \
    "ldr r8, [%[x]], #4\n\t" \
    "ldr r10, [%[x]], #4\n\t" \
    "sxtb16 r9, r8, ror #8\n\t" \
    "sxtb16 r8, r8\n\t" \
    "sxtb16 r11, r10, ror #8\n\t" \
    "sxtb16 r10, r10\n\t"
#define TQ_Q8_STEP_DIRECT TQ_Q8_X8 TQ_Q8_W8("r8", "r9") TQ_Q8_W8("r10", "r11")
/* Two steps a pass until x reaches end, entered at the second for an odd count. */
#define TQ_8_STEPS(STEP) \
    "ldr r4, %[blocks]\n\t" \
    "tst r4, #1\n\t" \
    "bne 2f\n" \
    "1:\n\t" STEP \
    "2:\n\t" STEP \
    "ldr r4, %[end]\n\t" \
    "cmp %[x], r4\n\t" \
    "bne 1b\n\t"
/* Four steps a pass (a block's loop: 3 instructions of loop a pass), entered where the count
 * (>= 1) leaves: LSLS #31 puts bit 0 in N and bit 1 in C. */
#define TQ_8_STEPS4(STEP) \
    "ldr r4, %[blocks]\n\t" \
    "lsls r4, r4, #31\n\t" \
    "bcc 5f\n\t" \
    "bmi 2f\n\t" \
    "b 3f\n" \
    "5:\n\t" \
    "bmi 4f\n" \
    "1:\n\t" STEP \
    "2:\n\t" STEP \
    "3:\n\t" STEP \
    "4:\n\t" STEP \
    "ldr r4, %[end]\n\t" \
    "cmp %[x], r4\n\t" \
    "bne 1b\n\t"
/* The sums u, v of P and Q (the general path goes on from them in C)... */
#define TQ_Q8_SUMS(STEP) \
    "ldrd %[up], %[vp], [%[w]], #8\n\t" \
    "ldrd %[uq], %[vq], [%[w]], #8\n\t" \
    "ldr r4, %[corr]\n\t" \
    "sub %[up], %[up], r4\n\t" \
    "sub %[uq], %[uq], r4\n\t" TQ_8_STEPS4(STEP)
/* ... and the accumulators: acc[A] = u - 256 v. */
#define TQ_Q8_DOT(STEP) TQ_Q8_SUMS(STEP) \
    "sub %[up], %[up], %[vp], lsl #8\n\t" \
    "sub %[uq], %[uq], %[vq], lsl #8\n\t"
/* The direct kernel's layer shift of the 4 sums (the factor the scratch row carries). */
#define TQ_Q8_SHIFT \
    "ldr r8, %[post]\n\t" \
    "lsl %[up], %[up], r8\n\t" \
    "lsl %[vp], %[vp], r8\n\t" \
    "lsl %[uq], %[uq], r8\n\t" \
    "lsl %[vq], %[vq], r8\n\t"
/* The fast requantization and SSAT of the 4 sums (channel order up, vp, uq, vq) with the layer's
 * one row, or with the block's 4 rows from the stream. */
#define TQ_Q8_RQ1(acc) \
    "smmlar r8, %[" acc "], r4, r5\n\t" \
    "add %[" acc "], r8, %[" acc "], asr #31\n\t" \
    "asr %[" acc "], %[" acc "], r6\n\t" \
    "ssat %[" acc "], #8, %[" acc "]\n\t"
#define TQ_Q8_RQ_ONE \
    "ldr r8, %[one]\n\t" \
    "ldm r8, {r4, r5, r6}\n\t" TQ_Q8_RQ1("up") TQ_Q8_RQ1("vp") TQ_Q8_RQ1("uq") TQ_Q8_RQ1("vq")
#define TQ_Q8_RQ_ROWS TQ_RQ_ASM_AT(up, w) TQ_RQ_ASM_AT(vp, w) TQ_RQ_ASM_AT(uq, w) TQ_RQ_ASM_AT(vq, w)
/* The 4 outputs stored through the out pointer on the stack (no register is left for it). */
#define TQ_Q8_STORE \
    "ldr r9, %[out]\n\t" \
    "strb %[up], [r9], #1\n\t" \
    "strb %[vp], [r9], #1\n\t" \
    "strb %[uq], [r9], #1\n\t" \
    "strb %[vq], [r9], #1\n\t" \
    "str r9, %[out]\n\t"
#define TQ_Q8_OPERANDS \
    : [up] "=&r"(up), [vp] "=&r"(vp), [uq] "=&r"(uq), [vq] "=&r"(vq), [x] "+r"(x), [w] "+r"(wp), [out] "+m"(out) \
    : [corr] "m"(corr), [blocks] "m"(blocks), [end] "m"(end), [one] "m"(one), [post] "m"(post) \
    : "r4", "r5", "r6", "r8", "r9", "r10", "r11", "lr", "cc", "memory"
/* The fast paths' loop over the blocks of 4 channels: sums, requantization and stores in one asm. */
#define TQ_Q8_FAST(XTYPE, XSTART, ASM) \
    for (; k < quads; ++k) { \
        int32_t up, vp, uq, vq; \
        XTYPE x = XSTART; \
        __asm__ volatile(ASM TQ_Q8_STORE TQ_Q8_OPERANDS); \
    }
/* A last channel pair's sums (u, v: acc[A] + 256 acc[B] and acc[B]): 8 inputs a step against its
 * 4 weight words, as above. */
#define TQ_P8_STEP_SCRATCH \
    "ldm %[x]!, {r8, r9, r10, r11}\n\t" \
    "ldm %[w]!, {r4, r5, r6, lr}\n\t" \
    TQ_Q8_MAC("up", "vp", "r8", "r4") TQ_Q8_MAC("up", "vp", "r9", "r5") \
    TQ_Q8_MAC("up", "vp", "r10", "r6") TQ_Q8_MAC("up", "vp", "r11", "lr")
#define TQ_P8_STEP_DIRECT TQ_Q8_X8 \
    "ldm %[w]!, {r4, r5, r6, lr}\n\t" \
    TQ_Q8_MAC("up", "vp", "r8", "r4") TQ_Q8_MAC("up", "vp", "r9", "r5") \
    TQ_Q8_MAC("up", "vp", "r10", "r6") TQ_Q8_MAC("up", "vp", "r11", "lr")
#define TQ_P8_DOT(STEP) \
    "ldrd %[up], %[vp], [%[w]], #8\n\t" \
    "ldr r4, %[corr]\n\t" \
    "sub %[up], %[up], r4\n\t" TQ_8_STEPS(STEP)
#define TQ_P8_OPERANDS \
    : [up] "=&r"(u), [vp] "=&r"(v), [x] "+r"(x), [w] "+r"(wp) \
    : [corr] "m"(corr), [blocks] "m"(blocks), [end] "m"(end) \
    : "r4", "r5", "r6", "r8", "r9", "r10", "r11", "lr", "cc", "memory"
#endif

/* A block of 4 channels' sums in C (the asm's arithmetic), x words [j, words) added to the sums
 * s (P's u, v, Q's u, v) against the interleaved words at *w, *w advancing past them. */
static inline void quad_macs(const int32_t *scratch, const int8_t *row, int32_t n, const int32_t **w,
                             int32_t j, int32_t words, int32_t s[4])
{
    const int32_t *wp = *w;
    for (; j < words; j += 2, wp += 4) {
        const int32_t x0 = x_at(scratch, row, n, j), x1 = x_at(scratch, row, n, j + 1);
        s[0] = tq_smlad(x1, wp[2], tq_smlad(x0, wp[0], s[0]));
        s[1] = tq_smlad(x1, tq_sxtb16_ror8(wp[2]), tq_smlad(x0, tq_sxtb16_ror8(wp[0]), s[1]));
        s[2] = tq_smlad(x1, wp[3], tq_smlad(x0, wp[1], s[2]));
        s[3] = tq_smlad(x1, tq_sxtb16_ror8(wp[3]), tq_smlad(x0, tq_sxtb16_ror8(wp[1]), s[3]));
    }
    *w = wp;
}

static inline int32_t shl(int32_t a, int32_t sh) { return (int32_t)((uint32_t)a << sh); }

/* Requantize, offset and clamp the accumulator of channel c with row q (out of line: the general
 * path's TFLM arithmetic is large, and would be copied at each call). */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static int8_t fc8_out(const tq_fc_dsp8_params *p, const tq_rq *q, int32_t acc, int32_t c, int32_t post)
{
    acc = shl(acc, p->scale ? p->scale[c] : post);
    return (int8_t)tq_rq_clamp(tq_rq_apply(q, acc, p->output_offset, p->rq_exact), p->act_min, p->act_max);
}

/* One batch row: the blocks of 4 channels, a last pair, a last channel. x words come from the
 * widened row in scratch, or (scratch 0: the direct kernel) from the int8 row in place; corr is
 * 128 S (the pair sums' unsigned low bytes); post the direct kernel's layer shift (0 with scratch:
 * the row carries it). */
static void fc8_row(const tq_fc_dsp8_params *p, const int8_t *row, const int32_t *scratch, const int32_t *w,
                    int8_t *out, int32_t corr, int32_t post)
{
    const int32_t in_depth = p->in_depth, out_depth = p->out_depth, words = p->words;
    const int32_t mode = tq_rq_mode(p->rq_exact, p->act_min, p->act_max);
    const tq_rq *one = p->rq;                /* per-tensor: the one row, none in w */
    const int32_t row_words = one ? 0 : 3;   /* a row's words in w */
    const int32_t quads = out_depth >> 2;
    /* the asm's steps: from scratch the whole padded row; in place the whole groups of 8 inputs
     * (the C path adds the rest) */
    const int32_t blocks = scratch ? words >> 2 : in_depth >> 3;
    const int32_t rest = 4 * blocks;         /* x words the asm leaves to C */
    const void *end = scratch ? (const void *)(scratch + words) : (const void *)(row + 8 * blocks);
    const int32_t *wp = w;
    int32_t k = 0;
#ifdef TQ_HAVE_DSP
    const int32_t fast = mode == TQ_RQ_FAST_FULL && !p->scale && rest == words;
    /* the asm of this kernel is in the build (the switches below) */
    const int32_t has_asm = scratch ? TQ_FC8_WIDE : TQ_FC8_DIRECT;
    if (fast && TQ_FC8_WIDE && TQ_FC8_ONE_ROW && one && scratch) {
        TQ_Q8_FAST(const int32_t *, scratch, TQ_Q8_DOT(TQ_Q8_STEP_SCRATCH) TQ_Q8_RQ_ONE)
    } else if (fast && TQ_FC8_DIRECT && TQ_FC8_ONE_ROW && one && !scratch) {
        TQ_Q8_FAST(const int8_t *, row, TQ_Q8_DOT(TQ_Q8_STEP_DIRECT) TQ_Q8_SHIFT TQ_Q8_RQ_ONE)
    } else if (fast && TQ_FC8_WIDE && TQ_FC8_ROWS && !one && scratch) {
        TQ_Q8_FAST(const int32_t *, scratch, TQ_Q8_DOT(TQ_Q8_STEP_SCRATCH) TQ_Q8_RQ_ROWS)
    } else if (fast && TQ_FC8_DIRECT && TQ_FC8_ROWS && !one && !scratch) {
        TQ_Q8_FAST(const int8_t *, row, TQ_Q8_DOT(TQ_Q8_STEP_DIRECT) TQ_Q8_SHIFT TQ_Q8_RQ_ROWS)
    }
#else
    (void)mode;
    (void)end;
    (void)rest;
#endif
    for (; k < quads; ++k, out += 4) {
        /* the general path: the sums in C (on the device after the asm's whole steps) */
        int32_t s[4];
        int32_t j = 0;
#ifdef TQ_HAVE_DSP
        if (TQ_FC8_SLOW && has_asm && blocks > 0) {
            int32_t up, vp, uq, vq;
            if (scratch) {
                const int32_t *x = scratch;
                __asm__ volatile(TQ_Q8_SUMS(TQ_Q8_STEP_SCRATCH) TQ_Q8_OPERANDS);
            } else {
                const int8_t *x = row;
                __asm__ volatile(TQ_Q8_SUMS(TQ_Q8_STEP_DIRECT) TQ_Q8_OPERANDS);
            }
            s[0] = up;
            s[1] = vp;
            s[2] = uq;
            s[3] = vq;
            j = rest;
        } else
#endif
        {
            s[0] = wp[0] - corr;
            s[1] = wp[1];
            s[2] = wp[2] - corr;
            s[3] = wp[3];
            wp += 4;
        }
        quad_macs(scratch, row, in_depth, &wp, j, words, s);
        const tq_rq *q = one ? one : (const tq_rq *)wp;
        const int32_t qs = one ? 0 : 1;
        wp += 4 * row_words;
        const int32_t c = 4 * k;
        out[0] = fc8_out(p, q, (int32_t)((uint32_t)s[0] - ((uint32_t)s[1] << 8)), c, post);
        out[1] = fc8_out(p, q + qs, s[1], c + 1, post);
        out[2] = fc8_out(p, q + 2 * qs, (int32_t)((uint32_t)s[2] - ((uint32_t)s[3] << 8)), c + 2, post);
        out[3] = fc8_out(p, q + 3 * qs, s[3], c + 3, post);
    }
    if (out_depth & 2) {
        /* a last pair: its head, words and rows as they are */
        int32_t u, v, j = 0;
#ifdef TQ_HAVE_DSP
        if (has_asm && blocks > 0) {
            if (scratch) {
                const int32_t *x = scratch;
                __asm__ volatile(TQ_P8_DOT(TQ_P8_STEP_SCRATCH) TQ_P8_OPERANDS);
            } else {
                const int8_t *x = row;
                __asm__ volatile(TQ_P8_DOT(TQ_P8_STEP_DIRECT) TQ_P8_OPERANDS);
            }
            j = rest;
        } else
#endif
        {
            u = wp[0] - corr;
            v = wp[1];
            wp += 2;
        }
        for (; j < words; ++j) {
            const int32_t x = x_at(scratch, row, in_depth, j);
            u = tq_smlad(x, wp[0], u);
            v = tq_smlad(x, tq_sxtb16_ror8(wp[0]), v);
            ++wp;
        }
        const tq_rq *q = one ? one : (const tq_rq *)wp;
        wp += 2 * row_words;
        *out++ = fc8_out(p, q, (int32_t)((uint32_t)u - ((uint32_t)v << 8)), out_depth & ~3, post);
        *out++ = fc8_out(p, one ? q : q + 1, v, (out_depth & ~3) + 1, post);
    }
    if (out_depth & 1) {
        /* the leftover channel: its raw row, one word widened for two x words */
        int32_t a = *wp++;
        for (int32_t j = 0; j < words; j += 2) {
            const int32_t wv = *wp++;
            a = tq_smlad(x_at(scratch, row, in_depth, j + 1), tq_sxtb16_ror8(wv),
                         tq_smlad(x_at(scratch, row, in_depth, j), tq_sxtb16(wv), a));
        }
        *out = fc8_out(p, one ? one : (const tq_rq *)wp, a, out_depth - 1, post);
    }
}

void tq_fully_connected_dsp8_s8(const tq_fc_dsp8_params *p, const int8_t *in, const int32_t *w, int8_t *out,
                                int32_t *scratch)
{
    for (int32_t b = 0; b < p->batches; ++b) {
        /* the sums carry 128 * S too (the unsigned low bytes): taken off at the start */
        const int32_t sum = widen_row(in + b * p->in_depth, p->in_depth, p->words, p->shift, scratch);
        fc8_row(p, in + b * p->in_depth, scratch, w, out + b * p->out_depth, (int32_t)((uint32_t)sum << 7), 0);
    }
}

void tq_fully_connected_dsp8_direct_s8(const tq_fc_dsp8_params *p, const int8_t *in, const int32_t *w, int8_t *out)
{
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *row = in + b * p->in_depth;
        const int32_t sum = row_sum(row, p->in_depth);
        fc8_row(p, row, 0, w, out + b * p->out_depth, (int32_t)((uint32_t)sum << 7), p->shift);
    }
}
