#include "add_dsp.h"

#include "tq_constants.h"

/* The requantized sum, fast form (tq_rq_fast) with the constants in registers. Its rounding
 * correction (-1 below zero) reads the sign of the sum s instead of that of round(s * mult):
 * they differ only when the latter is 0, and then the -1 never reaches the shifted result
 * (rs >= 1: (2^(rs-1) - 1 + (zp << rs)) >> rs == zp). One instruction less. */
TQ_ALWAYS_INLINE static inline int32_t rq_sum(int32_t s, int32_t mult, int32_t add, int32_t rs, int32_t lo,
                                              int32_t hi, int clamp)
{
    const int32_t t = (tq_smmlar(s, mult, add) + (s >> 31)) >> rs;
    return clamp ? tq_rq_clamp(t, lo, hi) : tq_rq_sat8(t);
}

#ifdef TQ_HAVE_DSP
/* One element in asm: two loads, two table loads, the sum, requantization, SSAT, a store (10
 * instructions; gcc's version needs about 11 with its address arithmetic). */
#define TQ_ADD_ASM_PAIR                            \
    "ldrsb %[x], [%[a]], #1\n\t"                   \
    "ldrsb %[y], [%[b]], #1\n\t"                   \
    "ldr %[x], [%[l1], %[x], lsl #2]\n\t"          \
    "ldr %[y], [%[l2], %[y], lsl #2]\n\t"          \
    "add %[x], %[x], %[y]\n\t"                     \
    "smmlar %[y], %[x], %[m], %[c]\n\t"            \
    "add %[y], %[y], %[x], asr #31\n\t"            \
    "asr %[y], %[y], %[rs]\n\t"                    \
    "ssat %[y], #8, %[y]\n\t"                      \
    "strb %[y], [%[o]], #1\n\t"
/* the same against a constant half v (8 instructions) */
#define TQ_ADD_ASM_CONST                           \
    "ldrsb %[x], [%[a]], #1\n\t"                   \
    "ldr %[x], [%[l1], %[x], lsl #2]\n\t"          \
    "add %[x], %[x], %[v]\n\t"                     \
    "smmlar %[y], %[x], %[m], %[c]\n\t"            \
    "add %[y], %[y], %[x], asr #31\n\t"            \
    "asr %[y], %[y], %[rs]\n\t"                    \
    "ssat %[y], #8, %[y]\n\t"                      \
    "strb %[y], [%[o]], #1\n\t"

/* rows of 4 * blocks elements against the same 4 * blocks of b (a per-channel vector): b steps
 * back at each row's end, so the constants stay in registers across rows */
static void add_rows_asm(const int32_t *l1, const int32_t *l2, const int8_t *a, const int8_t *b, int8_t *o,
                         int32_t rows, int32_t blocks, const tq_rq *q)
{
    const int32_t m = q->mult, c = q->add, rs = q->rs, back = 4 * blocks;
    int32_t x, y, k;
    __asm__ volatile(TQ_ROWS_ASM(TQ_ADD_ASM_PAIR TQ_ADD_ASM_PAIR TQ_ADD_ASM_PAIR TQ_ADD_ASM_PAIR)
                     : [x] "=&r"(x), [y] "=&r"(y), [k] "=&r"(k), [a] "+r"(a), [b] "+r"(b), [o] "+r"(o),
                       [rows] "+r"(rows)
                     : [l1] "r"(l1), [l2] "r"(l2), [m] "r"(m), [c] "r"(c), [rs] "r"(rs), [blocks] "m"(blocks),
                       [back] "m"(back)
                     : "cc", "memory");
}
#endif

/* n elements: out[i] = f(l1[a[i]] + l2[b[i]]), or with l2[b[0]] for every i when b_step is 0. */
TQ_ALWAYS_INLINE static inline void add_run(const int32_t *l1, const int32_t *l2, const int8_t *a, const int8_t *b,
                                            int8_t *out, int32_t n, const tq_rq *q, int32_t lo, int32_t hi,
                                            int clamp, int b_step)
{
    const int32_t mult = q->mult, add = q->add, rs = q->rs;
    const int32_t v = b_step ? 0 : l2[b[0]];
#ifdef TQ_HAVE_DSP
    if (!clamp) {
        int32_t x, y;
        int32_t blocks = n >> 2;    /* counted down to 0: SUBS and BNE close the loop */
        n &= 3;
        if (b_step) {
            for (; blocks; --blocks) {
                __asm__ volatile(TQ_ADD_ASM_PAIR TQ_ADD_ASM_PAIR TQ_ADD_ASM_PAIR TQ_ADD_ASM_PAIR
                                 : [x] "=&r"(x), [y] "=&r"(y), [a] "+r"(a), [b] "+r"(b), [o] "+r"(out)
                                 : [l1] "r"(l1), [l2] "r"(l2), [m] "r"(mult), [c] "r"(add), [rs] "r"(rs)
                                 : "memory");
            }
        } else {
            for (; blocks; --blocks) {
                __asm__ volatile(TQ_ADD_ASM_CONST TQ_ADD_ASM_CONST TQ_ADD_ASM_CONST TQ_ADD_ASM_CONST
                                 : [x] "=&r"(x), [y] "=&r"(y), [a] "+r"(a), [o] "+r"(out)
                                 : [l1] "r"(l1), [v] "r"(v), [m] "r"(mult), [c] "r"(add), [rs] "r"(rs)
                                 : "memory");
            }
        }
    }
#endif
    /* All of a block's loads come before its stores (an int8_t store may alias anything). */
    for (; n >= 4; n -= 4) {
        int32_t s0, s1, s2, s3;
        if (b_step) {
            s0 = l1[a[0]] + l2[b[0]];
            s1 = l1[a[1]] + l2[b[1]];
            s2 = l1[a[2]] + l2[b[2]];
            s3 = l1[a[3]] + l2[b[3]];
            b += 4;
        } else {
            s0 = l1[a[0]] + v;
            s1 = l1[a[1]] + v;
            s2 = l1[a[2]] + v;
            s3 = l1[a[3]] + v;
        }
        a += 4;
        out[0] = (int8_t)rq_sum(s0, mult, add, rs, lo, hi, clamp);
        out[1] = (int8_t)rq_sum(s1, mult, add, rs, lo, hi, clamp);
        out[2] = (int8_t)rq_sum(s2, mult, add, rs, lo, hi, clamp);
        out[3] = (int8_t)rq_sum(s3, mult, add, rs, lo, hi, clamp);
        out += 4;
    }
    for (; n > 0; --n) {
        const int32_t s = l1[*a++] + (b_step ? l2[*b++] : v);
        *out++ = (int8_t)rq_sum(s, mult, add, rs, lo, hi, clamp);
    }
}

/* The fast walks (TQ_WALK_FAST); per-channel rows in one asm loop where it applies. Not
 * inlined: one function per clamp mode keeps gcc's register allocation per loop. The sum is
 * symmetric in its halves: a swapped walk swaps the tables. */
__attribute__((noinline)) static void add_walk(const tq_add_dsp_params *p, const int32_t *l1, const int32_t *l2,
                                             const int8_t *in1, const int8_t *in2, int8_t *out, int clamp)
{
    const int32_t n = p->shape.count, lo = p->act_min, hi = p->act_max, period = p->period;
#define TQ_ADD_RUN(a, b, dst, len, b_step, swap) \
    add_run((swap) ? l2 : l1, (swap) ? l1 : l2, a, b, dst, len, &p->rq, lo, hi, clamp, b_step)
#ifdef TQ_HAVE_DSP
#define TQ_ADD_ROWS(full, rep, dst, rows, per, swap) \
    (!clamp && (per) % 4 == 0 &&                     \
     (add_rows_asm((swap) ? l2 : l1, (swap) ? l1 : l2, full, rep, dst, rows, (per) / 4, &p->rq), 1))
#else
#define TQ_ADD_ROWS TQ_WALK_NO_ROWS
#endif
    TQ_WALK_FAST(p->walk, period, n, in1, in2, out, TQ_ADD_RUN, TQ_ADD_ROWS);
#undef TQ_ADD_RUN
#undef TQ_ADD_ROWS
}

void tq_add_dsp_s8(const tq_add_dsp_params *p, const int8_t *in1, const int8_t *in2, int8_t *out)
{
    const int32_t *l1 = p->lut1 + TQ_ADD_LUT_ZERO, *l2 = p->lut2 + TQ_ADD_LUT_ZERO;
    const tq_rq q = p->rq;
    const int32_t zp = p->zp, lo = p->act_min, hi = p->act_max;
    if (p->exact) {
        TQ_BROADCAST_LOOP(&p->shape, out[o] = (int8_t)tq_rq_clamp(tq_rq_exact(&q, l1[in1[i1]] + l2[in2[i2]], zp),
                                                                  lo, hi));
        return;
    }
    if (p->walk == TQ_WALK_GENERAL) {
        TQ_BROADCAST_LOOP(&p->shape, out[o] = (int8_t)rq_sum(l1[in1[i1]] + l2[in2[i2]], q.mult, q.add, q.rs,
                                                             lo, hi, 1));
        return;
    }
    if (lo <= -128 && hi >= 127) {
        add_walk(p, l1, l2, in1, in2, out, 0);     /* saturation is the only clamp */
    } else {
        add_walk(p, l1, l2, in1, in2, out, 1);
    }
}
