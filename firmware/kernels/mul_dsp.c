#include "mul_dsp.h"

/* The requantized product, fast form (tq_rq_fast) on prod = (x + o1) * (y + o2) * 2^fshift.
 * The rounding correction (-1 below zero) reads the product's sign instead of that of
 * round(prod * mult): they differ only when the latter is 0, and then the -1 never reaches
 * the shifted result (rs >= 1, see add_dsp.c). */
TQ_ALWAYS_INLINE static inline int32_t rq_prod(int32_t prod, int32_t mult, int32_t add, int32_t rs, int32_t lo,
                                               int32_t hi, int clamp)
{
    const int32_t t = (tq_smmlar(prod, mult, add) + (prod >> 31)) >> rs;
    return clamp ? tq_rq_clamp(t, lo, hi) : tq_rq_sat8(t);
}

#ifdef TQ_HAVE_DSP
/* One output of a step in asm: product (already scaled), requantization, SSAT, store. */
#define TQ_MUL_ASM_OUT(MUL, A, B, OFS)                      \
    MUL " %[t], %[" A "], %[" B "]\n\t"                     \
    "smmlar %[u], %[t], %[m], %[c]\n\t"                     \
    "add %[u], %[u], %[t], asr #31\n\t"                     \
    "asr %[u], %[u], %[rs]\n\t"                             \
    "ssat %[u], #8, %[u]\n\t"                               \
    "strb %[u], [%[o], #" OFS "]\n\t"

/* 4 elements with fshift 1: words of both inputs, offsets added as SXTAB16 widens (bytes 0, 2
 * in one register, 1, 3 in another), input 2 doubled halfwise (|2 (y + o2)| <= 510), four
 * 16x16 products: 9.25 instructions an element with the loop. */
#define TQ_MUL_ASM_STEP                                     \
    "ldr %[x], [%[a]], #4\n\t"                              \
    "ldr %[y], [%[b]], #4\n\t"                              \
    "ldr %[t], %[o1p]\n\t"                                  \
    "sxtab16 %[xo], %[t], %[x], ror #8\n\t"                 \
    "sxtab16 %[x], %[t], %[x]\n\t"                          \
    "ldr %[t], %[o2p]\n\t"                                  \
    "sxtab16 %[yo], %[t], %[y], ror #8\n\t"                 \
    "sxtab16 %[y], %[t], %[y]\n\t"                          \
    "sadd16 %[y], %[y], %[y]\n\t"                           \
    "sadd16 %[yo], %[yo], %[yo]\n\t"                        \
    TQ_MUL_ASM_OUT("smulbb", "x", "y", "0")                 \
    TQ_MUL_ASM_OUT("smulbb", "xo", "yo", "1")               \
    TQ_MUL_ASM_OUT("smultt", "x", "y", "2")                 \
    TQ_MUL_ASM_OUT("smultt", "xo", "yo", "3")               \
    "add %[o], %[o], #4\n\t"

static void mul_run_asm(const int8_t *a, const int8_t *b, int8_t *o, int32_t blocks, int32_t o1, int32_t o2,
                        const tq_rq *q)
{
    const int32_t o1p = (int32_t)(((uint32_t)o1 & 0xFFFFu) | ((uint32_t)o1 << 16));
    const int32_t o2p = (int32_t)(((uint32_t)o2 & 0xFFFFu) | ((uint32_t)o2 << 16));
    const int32_t m = q->mult, c = q->add, rs = q->rs;
    int32_t x, y, xo, yo, t, u;
    for (; blocks; --blocks) {
        __asm__ volatile(TQ_MUL_ASM_STEP
                         : [x] "=&r"(x), [y] "=&r"(y), [xo] "=&r"(xo), [yo] "=&r"(yo), [t] "=&r"(t), [u] "=&r"(u),
                           [a] "+r"(a), [b] "+r"(b), [o] "+r"(o)
                         : [m] "r"(m), [c] "r"(c), [rs] "r"(rs), [o1p] "m"(o1p), [o2p] "m"(o2p)
                         : "memory");
    }
}

/* 4 elements times one value: y2 = 2 (y + o2) in the bottom halfword, 7.75 instructions an
 * element with the loop */
static void mul_scalar_asm(const int8_t *a, int8_t *o, int32_t blocks, int32_t o1, int32_t y2, const tq_rq *q)
{
    const int32_t o1p = (int32_t)(((uint32_t)o1 & 0xFFFFu) | ((uint32_t)o1 << 16));
    const int32_t m = q->mult, c = q->add, rs = q->rs;
    int32_t x, xo, t, u;
    for (; blocks; --blocks) {
        __asm__ volatile("ldr %[x], [%[a]], #4\n\t"
                         "ldr %[t], %[o1p]\n\t"
                         "sxtab16 %[xo], %[t], %[x], ror #8\n\t"
                         "sxtab16 %[x], %[t], %[x]\n\t"
                         TQ_MUL_ASM_OUT("smulbb", "x", "y", "0")
                         TQ_MUL_ASM_OUT("smulbb", "xo", "y", "1")
                         TQ_MUL_ASM_OUT("smultb", "x", "y", "2")
                         TQ_MUL_ASM_OUT("smultb", "xo", "y", "3")
                         "add %[o], %[o], #4\n\t"
                         : [x] "=&r"(x), [xo] "=&r"(xo), [t] "=&r"(t), [u] "=&r"(u), [a] "+r"(a), [o] "+r"(o)
                         : [y] "r"(y2), [m] "r"(m), [c] "r"(c), [rs] "r"(rs), [o1p] "m"(o1p)
                         : "memory");
    }
}

/* rows of 4 * blocks elements against the same 4 * blocks of b (a per-channel vector), b
 * stepping back at each row's end */
static void mul_rows_asm(const int8_t *a, const int8_t *b, int8_t *o, int32_t rows, int32_t blocks, int32_t o1,
                         int32_t o2, const tq_rq *q)
{
    const int32_t o1p = (int32_t)(((uint32_t)o1 & 0xFFFFu) | ((uint32_t)o1 << 16));
    const int32_t o2p = (int32_t)(((uint32_t)o2 & 0xFFFFu) | ((uint32_t)o2 << 16));
    const int32_t m = q->mult, c = q->add, rs = q->rs, back = 4 * blocks;
    int32_t x, y, xo, yo, t, u, k;
    __asm__ volatile("1:\n\t"
                     "ldr %[k], %[blocks]\n\t"
                     "2:\n\t"
                     TQ_MUL_ASM_STEP
                     "subs %[k], %[k], #1\n\t"
                     "bne 2b\n\t"
                     "ldr %[t], %[back]\n\t"
                     "sub %[b], %[b], %[t]\n\t"
                     "ldr %[t], %[rows]\n\t"
                     "subs %[t], %[t], #1\n\t"
                     "str %[t], %[rows]\n\t"
                     "bne 1b\n\t"
                     : [x] "=&r"(x), [y] "=&r"(y), [xo] "=&r"(xo), [yo] "=&r"(yo), [t] "=&r"(t), [u] "=&r"(u),
                       [k] "=&r"(k), [a] "+r"(a), [b] "+r"(b), [o] "+r"(o), [rows] "+m"(rows)
                     : [m] "r"(m), [c] "r"(c), [rs] "r"(rs), [o1p] "m"(o1p), [o2p] "m"(o2p), [blocks] "m"(blocks),
                       [back] "m"(back)
                     : "cc", "memory");
}
#endif

/* n elements, input 2 advancing (b_step) or fixed at b[0]. */
TQ_ALWAYS_INLINE static inline void mul_run(const int8_t *a, const int8_t *b, int8_t *out, int32_t n, int32_t o1,
                                            int32_t o2, int32_t fs, const tq_rq *q, int32_t lo, int32_t hi,
                                            int clamp, int b_step)
{
    const int32_t mult = q->mult, add = q->add, rs = q->rs;
#ifdef TQ_HAVE_DSP
    if (!clamp && fs == 1) {
        if (b_step) {
            mul_run_asm(a, b, out, n >> 2, o1, o2, q);
            b += n & ~3;
        } else {
            mul_scalar_asm(a, out, n >> 2, o1, 2 * (b[0] + o2), q);
        }
        a += n & ~3;
        out += n & ~3;
        n &= 3;
    }
#endif
    const int32_t y0 = b_step ? 0 : b[0] + o2;
    for (; n >= 4; n -= 4) {
        /* all of a block's loads before its stores (an int8_t store may alias anything) */
        const int32_t x0 = a[0] + o1, x1 = a[1] + o1, x2 = a[2] + o1, x3 = a[3] + o1;
        int32_t p0, p1, p2, p3;
        if (b_step) {
            p0 = x0 * (b[0] + o2);
            p1 = x1 * (b[1] + o2);
            p2 = x2 * (b[2] + o2);
            p3 = x3 * (b[3] + o2);
            b += 4;
        } else {
            p0 = x0 * y0;
            p1 = x1 * y0;
            p2 = x2 * y0;
            p3 = x3 * y0;
        }
        a += 4;
        out[0] = (int8_t)rq_prod((int32_t)((uint32_t)p0 << fs), mult, add, rs, lo, hi, clamp);
        out[1] = (int8_t)rq_prod((int32_t)((uint32_t)p1 << fs), mult, add, rs, lo, hi, clamp);
        out[2] = (int8_t)rq_prod((int32_t)((uint32_t)p2 << fs), mult, add, rs, lo, hi, clamp);
        out[3] = (int8_t)rq_prod((int32_t)((uint32_t)p3 << fs), mult, add, rs, lo, hi, clamp);
        out += 4;
    }
    for (; n > 0; --n) {
        const int32_t pr = (*a++ + o1) * (b_step ? *b++ + o2 : y0);
        *out++ = (int8_t)rq_prod((int32_t)((uint32_t)pr << fs), mult, add, rs, lo, hi, clamp);
    }
}

/* The fast walks (TQ_WALK_FAST), per-channel rows in one asm loop where it applies. Not inlined:
 * one function per clamp mode. The product is symmetric: a swapped walk swaps the offsets. */
__attribute__((noinline)) static void mul_walk(const tq_mul_dsp_params *p, const int8_t *in1, const int8_t *in2,
                                               int8_t *out, int clamp)
{
    const int32_t n = p->shape.count, lo = p->act_min, hi = p->act_max, fs = p->fshift, period = p->period;
    const int32_t o1 = p->in1_offset, o2 = p->in2_offset;
#define TQ_MUL_RUN(a, b, dst, len, b_step, swap) \
    mul_run(a, b, dst, len, (swap) ? o2 : o1, (swap) ? o1 : o2, fs, &p->rq, lo, hi, clamp, b_step)
#ifdef TQ_HAVE_DSP
#define TQ_MUL_ROWS(full, rep, dst, rows, per, swap) \
    (!clamp && fs == 1 && (per) % 4 == 0 &&          \
     (mul_rows_asm(full, rep, dst, rows, (per) / 4, (swap) ? o2 : o1, (swap) ? o1 : o2, &p->rq), 1))
#else
#define TQ_MUL_ROWS TQ_WALK_NO_ROWS
#endif
    TQ_WALK_FAST(p->walk, period, n, in1, in2, out, TQ_MUL_RUN, TQ_MUL_ROWS);
#undef TQ_MUL_RUN
#undef TQ_MUL_ROWS
}

void tq_mul_dsp_s8(const tq_mul_dsp_params *p, const int8_t *in1, const int8_t *in2, int8_t *out)
{
    const tq_rq q = p->rq;
    const int32_t o1 = p->in1_offset, o2 = p->in2_offset, zp = p->zp, lo = p->act_min, hi = p->act_max;
    if (p->exact) {
        TQ_BROADCAST_LOOP(&p->shape, out[o] = (int8_t)tq_rq_clamp(
            tq_rq_exact(&q, (in1[i1] + o1) * (in2[i2] + o2), zp), lo, hi));
        return;
    }
    if (p->walk == TQ_WALK_GENERAL) {
        const int32_t fs = p->fshift;
        TQ_BROADCAST_LOOP(&p->shape, out[o] = (int8_t)rq_prod(
            (int32_t)((uint32_t)((in1[i1] + o1) * (in2[i2] + o2)) << fs), q.mult, q.add, q.rs, lo, hi, 1));
        return;
    }
    if (lo <= -128 && hi >= 127) {
        mul_walk(p, in1, in2, out, 0);     /* saturation is the only clamp */
    } else {
        mul_walk(p, in1, in2, out, 1);
    }
}
