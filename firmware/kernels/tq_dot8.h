/* The int8 x int8 dot products of the dynamic-range DSP kernels (hybrid_dsp.c) on their weight
 * layout (tinyq/ops/fully_connected.py, dsp8_weights): the weights W [out_depth][in_depth], every
 * one once, permuted so that one pointer walks them: for each block of 4 channels c = 4k .. 4k+3,
 * for each group of 4 inputs d = 4g .. 4g+3 the 4 channels' 4 bytes W[c][4g .. 4g+3], channel
 * after channel (16 bytes a group), then the block's in_depth % 4 tail bytes, channel after
 * channel; then the last out_depth % 4 channels' rows as they are. An int8 row meets 4 output
 * channels at a time, each input word loaded and widened (SXTB16) once for the 4, two SMLADs per
 * channel. No pointer needs any alignment (4-byte loads are unaligned LDRs). */
#ifndef TQ_DOT8_H
#define TQ_DOT8_H

#include <stdint.h>

#include "tq_dsp.h"

/* s[0..3] += the first 4 * groups inputs at x against one block's interleaved weights at *w
 * (16 bytes a group, see the header), *w advancing past them. */
static inline void tq_fc8_block4(const int8_t *x, const int8_t **w, int32_t groups, int32_t *s)
{
    int32_t s0 = s[0], s1 = s[1], s2 = s[2], s3 = s[3];
    const int8_t *wp = *w;
#ifdef TQ_HAVE_DSP
    /* gcc's code for the C loop below spills the pointers and the count: here each group (16
     * MACs) takes 21 instructions (LDRD loads two channels' weight words), two groups a pass for
     * one loop branch per 32 MACs, 12 registers. */
    int32_t x02, x13, t, t2, u;
#define TQ_FC8_GROUP \
    "ldr %[x02], [%[x]], #4\n\t" \
    "ldrd %[t], %[t2], [%[w]], #8\n\t" \
    "sxtb16 %[x13], %[x02], ror #8\n\t" \
    "sxtb16 %[x02], %[x02]\n\t" \
    "sxtb16 %[u], %[t], ror #8\n\t" \
    "sxtb16 %[t], %[t]\n\t" \
    "smlad %[s0], %[x02], %[t], %[s0]\n\t" \
    "smlad %[s0], %[x13], %[u], %[s0]\n\t" \
    "sxtb16 %[u], %[t2], ror #8\n\t" \
    "sxtb16 %[t2], %[t2]\n\t" \
    "smlad %[s1], %[x02], %[t2], %[s1]\n\t" \
    "smlad %[s1], %[x13], %[u], %[s1]\n\t" \
    "ldrd %[t], %[t2], [%[w]], #8\n\t" \
    "sxtb16 %[u], %[t], ror #8\n\t" \
    "sxtb16 %[t], %[t]\n\t" \
    "smlad %[s2], %[x02], %[t], %[s2]\n\t" \
    "smlad %[s2], %[x13], %[u], %[s2]\n\t" \
    "sxtb16 %[u], %[t2], ror #8\n\t" \
    "sxtb16 %[t2], %[t2]\n\t" \
    "smlad %[s3], %[x02], %[t2], %[s3]\n\t" \
    "smlad %[s3], %[x13], %[u], %[s3]\n\t"
#define TQ_FC8_OPERANDS \
    : [s0] "+r"(s0), [s1] "+r"(s1), [s2] "+r"(s2), [s3] "+r"(s3), [x] "+r"(x), [w] "+r"(wp), \
      [n] "+r"(pairs), [x02] "=&r"(x02), [x13] "=&r"(x13), [t] "=&r"(t), [t2] "=&r"(t2), [u] "=&r"(u) \
    : \
    : "cc", "memory"
    int32_t pairs = groups >> 1;
    if (pairs > 0) {
        __asm__ volatile("1:\n\t" TQ_FC8_GROUP TQ_FC8_GROUP "subs %[n], %[n], #1\n\t" "bne 1b\n\t"
                         TQ_FC8_OPERANDS);
    }
    if (groups & 1) {
        __asm__ volatile(TQ_FC8_GROUP TQ_FC8_OPERANDS);
    }
#undef TQ_FC8_GROUP
#undef TQ_FC8_OPERANDS
#else
    for (; groups > 0; --groups) {
        const int32_t xv = tq_read_s32(x);
        const int32_t x02 = tq_sxtb16(xv), x13 = tq_sxtb16_ror8(xv);
        const int32_t v0 = tq_read_s32(wp), v1 = tq_read_s32(wp + 4);
        const int32_t v2 = tq_read_s32(wp + 8), v3 = tq_read_s32(wp + 12);
        x += 4;
        wp += 16;
        s0 = tq_smlad(x13, tq_sxtb16_ror8(v0), tq_smlad(x02, tq_sxtb16(v0), s0));
        s1 = tq_smlad(x13, tq_sxtb16_ror8(v1), tq_smlad(x02, tq_sxtb16(v1), s1));
        s2 = tq_smlad(x13, tq_sxtb16_ror8(v2), tq_smlad(x02, tq_sxtb16(v2), s2));
        s3 = tq_smlad(x13, tq_sxtb16_ror8(v3), tq_smlad(x02, tq_sxtb16(v3), s3));
    }
#endif
    *w = wp;
    s[0] = s0;
    s[1] = s1;
    s[2] = s2;
    s[3] = s3;
}

/* acc + the first 4 * groups inputs at x against one remaining channel's weights at *w (4 bytes
 * a group, in input order), *w advancing past them. */
static inline int32_t tq_fc8_row1(const int8_t *x, const int8_t **w, int32_t groups, int32_t acc)
{
    const int8_t *wp = *w;
    for (; groups > 0; --groups) {
        const int32_t xv = tq_read_s32(x), wv = tq_read_s32(wp);
        x += 4;
        wp += 4;
        acc = tq_smlad(tq_sxtb16(xv), tq_sxtb16(wv), acc);
        acc = tq_smlad(tq_sxtb16_ror8(xv), tq_sxtb16_ror8(wv), acc);
    }
    *w = wp;
    return acc;
}

/* acc + the n (< 4) tail inputs at x against the n weights at *w, *w advancing past them. */
static inline int32_t tq_fc8_tail(const int8_t **w, const int8_t *x, int32_t n, int32_t acc)
{
    const int8_t *wp = *w;
    for (int32_t d = 0; d < n; ++d) {
        acc += (int32_t)wp[d] * (int32_t)x[d];
    }
    *w = wp + n;
    return acc;
}

#endif /* TQ_DOT8_H */
