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

#ifdef TQ_HAVE_DSP
/* The asm of one channel pair (the header's sums): biases from the stream, minus corr; the
 * `words` (a multiple of 4) scratch words at x against the pair's weight words: 4 if bit 2 of
 * words is set, then 8 a loop pass (LSRS #3 puts bit 2 in C and the pass count's zero in Z;
 * LDM, SMLAD and SXTB16 leave the flags alone); u = acc[A], v = acc[B]. The registers of LDM are
 * fixed (its list is ascending). */
#define TQ_P8_MAC(xr, wr) \
    "smlad %[u], " xr ", " wr ", %[u]\n\t" \
    "sxtb16 " wr ", " wr ", ror #8\n\t" \
    "smlad %[v], " xr ", " wr ", %[v]\n\t"
#define TQ_P8_STEP4 \
    "ldm %[x]!, {r8, r9, r10, r11}\n\t" \
    "ldm %[w]!, {r4, r5, r6, lr}\n\t" \
    TQ_P8_MAC("r8", "r4") TQ_P8_MAC("r9", "r5") TQ_P8_MAC("r10", "r6") TQ_P8_MAC("r11", "lr")
#define TQ_P8_DOT \
    "ldrd %[u], %[v], [%[w]], #8\n\t" \
    "ldr %[n], %[corr]\n\t" \
    "sub %[u], %[u], %[n]\n\t" \
    "ldr %[n], %[words]\n\t" \
    "lsrs %[n], %[n], #3\n\t" \
    "bcc 2f\n\t" TQ_P8_STEP4 \
    "2:\n\t" \
    "beq 3f\n" \
    "1:\n\t" TQ_P8_STEP4 TQ_P8_STEP4 \
    "subs %[n], %[n], #1\n\t" \
    "bne 1b\n" \
    "3:\n\t" \
    "sub %[u], %[u], %[v], lsl #8\n\t"
#define TQ_P8_OUTS [u] "=&r"(u), [v] "=&r"(v), [x] "+r"(x), [w] "+r"(wp), [n] "=&r"(n)
#define TQ_P8_INS [corr] "m"(corr), [words] "m"(words)
#define TQ_P8_CLOBBERS "r4", "r5", "r6", "r8", "r9", "r10", "r11", "lr", "cc", "memory"
#define TQ_P8_OPERANDS : TQ_P8_OUTS : TQ_P8_INS : TQ_P8_CLOBBERS
#define TQ_P8_OPERANDS_ONE : TQ_P8_OUTS : TQ_P8_INS, [one] "m"(one) : TQ_P8_CLOBBERS
/* The fast requantization and SSAT of acc with the row in r4-r6 (kept for the pair's other
 * channel): 4 instructions. */
#define TQ_P8_RQ_ONE(acc) \
    "smmlar r8, %[" #acc "], r4, r5\n\t" \
    "add %[" #acc "], r8, %[" #acc "], asr #31\n\t" \
    "asr %[" #acc "], %[" #acc "], r6\n\t" \
    "ssat %[" #acc "], #8, %[" #acc "]\n\t"
/* Both channels of a pair with the layer's one row (n is free after the dot): as many
 * instructions as the two rows' loads of TQ_RQ_ASM_AT. */
#define TQ_P8_RQ_PAIR_ONE \
    "ldr %[n], %[one]\n\t" \
    "ldm %[n], {r4, r5, r6}\n\t" TQ_P8_RQ_ONE(u) TQ_P8_RQ_ONE(v)
#endif

/* One channel pair's accumulators (u for A, v for B), *w advancing to the pair's tq_rq rows. */
static inline void pair_dot(const int32_t *x, const int32_t **w, int32_t words, int32_t corr, int32_t *a,
                            int32_t *b)
{
    const int32_t *wp = *w;
    int32_t u, v;
#ifdef TQ_HAVE_DSP
    int32_t n;
    __asm__ volatile(TQ_P8_DOT TQ_P8_OPERANDS);
#else
    u = wp[0] - corr;
    v = wp[1];
    wp += 2;
    for (int32_t j = 0; j < words; ++j) {
        u = tq_smlad(x[j], wp[j], u);
        v = tq_smlad(x[j], tq_sxtb16_ror8(wp[j]), v);
    }
    wp += words;
    u = (int32_t)((uint32_t)u - ((uint32_t)v << 8));
#endif
    *w = wp;
    *a = u;
    *b = v;
}

static inline int32_t shl(int32_t a, int32_t sh) { return (int32_t)((uint32_t)a << sh); }

void tq_fully_connected_dsp8_s8(const tq_fc_dsp8_params *p, const int8_t *in, const int32_t *w, int8_t *out,
                                int32_t *scratch)
{
    /* locals, not *p: stores through int8_t * would force reloads */
    const int32_t in_depth = p->in_depth, out_depth = p->out_depth, words = p->words;
    const int32_t zp = p->output_offset, lo = p->act_min, hi = p->act_max, exact = p->rq_exact;
    const int32_t mode = tq_rq_mode(exact, lo, hi);
    const int8_t *scale = p->scale;
    const tq_rq *one = p->rq;                /* per-tensor: the one row, none in w */
    const int32_t row_words = one ? 0 : 3;   /* a row's words in w */
    const int32_t pairs = out_depth >> 1;
    for (int32_t b = 0; b < p->batches; ++b) {
        /* the pair sums carry 128 * S too (the unsigned low bytes): taken off at the start */
        const int32_t corr = (int32_t)((uint32_t)widen_row(in + b * in_depth, in_depth, words, p->shift, scratch) << 7);
        const int32_t *wp = w;
#ifdef TQ_HAVE_DSP
        if (TQ_FC8_ONE_ROW && mode == TQ_RQ_FAST_FULL && !scale && one) {
            /* a per-tensor layer: the same with the layer's one row */
            for (int32_t k = 0; k < pairs; ++k) {
                const int32_t *x = scratch;
                int32_t u, v, n;
                __asm__ volatile(TQ_P8_DOT TQ_P8_RQ_PAIR_ONE TQ_P8_OPERANDS_ONE);
                out[0] = (int8_t)u;
                out[1] = (int8_t)v;
                out += 2;
            }
        } else if (TQ_FC8_ROWS && mode == TQ_RQ_FAST_FULL && !scale && !one) {
            /* the common case: dot products and requantization of a pair in one asm */
            for (int32_t k = 0; k < pairs; ++k) {
                const int32_t *x = scratch;
                int32_t u, v, n;
                __asm__ volatile(TQ_P8_DOT TQ_RQ_ASM_AT(u, w) TQ_RQ_ASM_AT(v, w) TQ_P8_OPERANDS);
                out[0] = (int8_t)u;
                out[1] = (int8_t)v;
                out += 2;
            }
        } else
#else
        (void)mode;
#endif
        {
            for (int32_t k = 0; k < pairs; ++k) {
                int32_t u, v;
                pair_dot(scratch, &wp, words, corr, &u, &v);
                const tq_rq *q = one ? one : (const tq_rq *)wp;
                const int32_t qs = one ? 0 : 1;   /* B's row: the next, or the same */
                wp += 2 * row_words;
                if (scale) {
                    u = shl(u, scale[2 * k]);
                    v = shl(v, scale[2 * k + 1]);
                }
                *out++ = (int8_t)tq_rq_clamp(tq_rq_apply(q, u, zp, exact), lo, hi);
                *out++ = (int8_t)tq_rq_clamp(tq_rq_apply(q + qs, v, zp, exact), lo, hi);
            }
        }
        if (out_depth & 1) {
            /* the leftover channel: its raw row, one word widened for two scratch words */
            int32_t a = *wp++;
            for (int32_t j = 0; j < words; j += 2) {
                const int32_t wv = *wp++;
                a = tq_smlad(scratch[j + 1], tq_sxtb16_ror8(wv), tq_smlad(scratch[j], tq_sxtb16(wv), a));
            }
            if (scale) {
                a = shl(a, scale[out_depth - 1]);
            }
            *out++ = (int8_t)tq_rq_clamp(tq_rq_apply(one ? one : (const tq_rq *)wp, a, zp, exact), lo, hi);
        }
    }
}
