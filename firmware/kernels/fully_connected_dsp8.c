#include "fully_connected_dsp8.h"

#include "tq_common.h"

/* s[0..3] += the first 4 * groups inputs at x against one block's interleaved weights at *w
 * (16 bytes a group, see the header), *w advancing past them. */
static inline void tq_fc8_block4(const int8_t *x, const int8_t **w, int32_t groups, int32_t *s)
{
    int32_t s0 = s[0], s1 = s[1], s2 = s[2], s3 = s[3];
    const int8_t *wp = *w;
#ifdef TQ_HAVE_DSP
    /* gcc's code for the C loop below spills the pointers and the count: 25 instructions a
     * group here (16 MACs), 11 registers. */
    if (groups > 0) {
        int32_t x02, x13, t, u;
        __asm__ volatile(
            "1:\n\t"
            "ldr %[x02], [%[x]], #4\n\t"
            "ldr %[t], [%[w]], #4\n\t"
            "sxtb16 %[x13], %[x02], ror #8\n\t"
            "sxtb16 %[x02], %[x02]\n\t"
            "sxtb16 %[u], %[t], ror #8\n\t"
            "sxtb16 %[t], %[t]\n\t"
            "smlad %[s0], %[x02], %[t], %[s0]\n\t"
            "smlad %[s0], %[x13], %[u], %[s0]\n\t"
            "ldr %[t], [%[w]], #4\n\t"
            "sxtb16 %[u], %[t], ror #8\n\t"
            "sxtb16 %[t], %[t]\n\t"
            "smlad %[s1], %[x02], %[t], %[s1]\n\t"
            "smlad %[s1], %[x13], %[u], %[s1]\n\t"
            "ldr %[t], [%[w]], #4\n\t"
            "sxtb16 %[u], %[t], ror #8\n\t"
            "sxtb16 %[t], %[t]\n\t"
            "smlad %[s2], %[x02], %[t], %[s2]\n\t"
            "smlad %[s2], %[x13], %[u], %[s2]\n\t"
            "ldr %[t], [%[w]], #4\n\t"
            "sxtb16 %[u], %[t], ror #8\n\t"
            "sxtb16 %[t], %[t]\n\t"
            "smlad %[s3], %[x02], %[t], %[s3]\n\t"
            "smlad %[s3], %[x13], %[u], %[s3]\n\t"
            "subs %[n], %[n], #1\n\t"
            "bne 1b\n\t"
            : [s0] "+r"(s0), [s1] "+r"(s1), [s2] "+r"(s2), [s3] "+r"(s3), [x] "+r"(x), [w] "+r"(wp),
              [n] "+r"(groups), [x02] "=&r"(x02), [x13] "=&r"(x13), [t] "=&r"(t), [u] "=&r"(u)
            :
            : "cc", "memory");
    }
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

void tq_fully_connected_dsp8_s8(const tq_fc_dsp8_params *p, const int8_t *in, const int8_t *w, int8_t *out)
{
    const int32_t *bias = p->bias;
    /* locals, not *p: stores through int8_t * would force reloads */
    const int32_t in_depth = p->in_depth, out_depth = p->out_depth;
    const int32_t zp = p->output_offset, lo = p->act_min, hi = p->act_max, exact = p->rq_exact;
    const int32_t mode = tq_rq_mode(exact, lo, hi);
    const tq_rq *rq = p->rq;
    const int8_t *scale = p->scale;
    const int32_t groups = in_depth >> 2, body = in_depth & ~3, tail = in_depth & 3;
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *row = in + b * in_depth, *x = row + body;
        const int8_t *wp = w;
        int32_t c = 0;
        for (; c + 4 <= out_depth; c += 4) {
            int32_t s[4] = {bias[c], bias[c + 1], bias[c + 2], bias[c + 3]};
            tq_fc8_block4(row, &wp, groups, s);
            if (tail) {
                s[0] = tq_fc8_tail(&wp, x, tail, s[0]);
                s[1] = tq_fc8_tail(&wp, x, tail, s[1]);
                s[2] = tq_fc8_tail(&wp, x, tail, s[2]);
                s[3] = tq_fc8_tail(&wp, x, tail, s[3]);
            }
            /* the accumulators scaled by 2^scale[c], as the fast requantization wants */
            tq_rq_store4(rq + c, (int32_t)((uint32_t)s[0] << scale[c]), (int32_t)((uint32_t)s[1] << scale[c + 1]),
                         (int32_t)((uint32_t)s[2] << scale[c + 2]), (int32_t)((uint32_t)s[3] << scale[c + 3]),
                         zp, lo, hi, mode, out);
            out += 4;
        }
        for (; c < out_depth; ++c) {
            const int8_t *xp = row;
            int32_t a = bias[c];
            for (int32_t g = groups; g > 0; --g) {
                const int32_t xv = tq_read_s32(xp), wv = tq_read_s32(wp);
                xp += 4;
                wp += 4;
                a = tq_smlad(tq_sxtb16(xv), tq_sxtb16(wv), a);
                a = tq_smlad(tq_sxtb16_ror8(xv), tq_sxtb16_ror8(wv), a);
            }
            a = tq_fc8_tail(&wp, x, tail, a);
            a = (int32_t)((uint32_t)a << scale[c]);
            *out++ = (int8_t)tq_rq_clamp(tq_rq_apply(rq + c, a, zp, exact), lo, hi);
        }
    }
}
