#include "squared_difference_dsp.h"

#include "tq_constants.h"

static inline int32_t sq_fast(int32_t d, int32_t fs, const tq_rq *q)
{
    return tq_rq_sat8((tq_smmlar((int32_t)((uint32_t)(d * d) << fs), q->mult, q->add)) >> q->rs);
}

#ifdef TQ_HAVE_DSP
/* one element in asm, 11 instructions: two loads, two table loads, the difference, its square
 * scaled by 2^fs, SMMLAR, the shift, SSAT, the store */
#define TQ_SQ_ASM                                  \
    "ldrsb %[x], [%[a]], #1\n\t"                   \
    "ldrsb %[y], [%[b]], #1\n\t"                   \
    "ldrsh %[x], [%[l1], %[x], lsl #1]\n\t"        \
    "ldrsh %[y], [%[l2], %[y], lsl #1]\n\t"        \
    "sub %[x], %[x], %[y]\n\t"                     \
    "mul %[x], %[x], %[x]\n\t"                     \
    "lsl %[x], %[x], %[fs]\n\t"                    \
    "smmlar %[y], %[x], %[m], %[c]\n\t"            \
    "asr %[y], %[y], %[rs]\n\t"                    \
    "ssat %[y], #8, %[y]\n\t"                      \
    "strb %[y], [%[o]], #1\n\t"

/* rows of 4 * blocks elements against the same 4 * blocks of b (a per-channel vector), b
 * stepping back at each row's end */
static void sq_rows_asm(const int16_t *l1, const int16_t *l2, const int8_t *a, const int8_t *b, int8_t *o,
                        int32_t rows, int32_t blocks, int32_t fs, const tq_rq *q)
{
    const int32_t m = q->mult, c = q->add, rs = q->rs, back = 4 * blocks;
    int32_t x, y, k;
    __asm__ volatile(TQ_ROWS_ASM(TQ_SQ_ASM TQ_SQ_ASM TQ_SQ_ASM TQ_SQ_ASM)
                     : [x] "=&r"(x), [y] "=&r"(y), [k] "=&r"(k), [a] "+r"(a), [b] "+r"(b), [o] "+r"(o),
                       [rows] "+r"(rows)
                     : [l1] "r"(l1), [l2] "r"(l2), [m] "r"(m), [c] "r"(c), [rs] "r"(rs), [fs] "r"(fs),
                       [blocks] "m"(blocks), [back] "m"(back)
                     : "cc", "memory");
}
#endif

/* n elements, input 2 advancing (b_step) or fixed at b[0] */
static void sq_run(const int16_t *l1, const int16_t *l2, const int8_t *a, const int8_t *b, int8_t *out, int32_t n,
                   int32_t fs, const tq_rq *q, int b_step)
{
#ifdef TQ_HAVE_DSP
    if (b_step) {
        const int32_t m = q->mult, c = q->add, rs = q->rs;
        int32_t x, y;
        for (int32_t k = n >> 2; k; --k) {
            __asm__ volatile(TQ_SQ_ASM TQ_SQ_ASM TQ_SQ_ASM TQ_SQ_ASM
                             : [x] "=&r"(x), [y] "=&r"(y), [a] "+r"(a), [b] "+r"(b), [o] "+r"(out)
                             : [l1] "r"(l1), [l2] "r"(l2), [m] "r"(m), [c] "r"(c), [rs] "r"(rs), [fs] "r"(fs)
                             : "memory");
        }
        n &= 3;
    }
#endif
    const int32_t v = b_step ? 0 : l2[b[0]];
    for (; n > 0; --n) {
        *out++ = (int8_t)sq_fast(l1[*a++] - (b_step ? l2[*b++] : v), fs, q);
    }
}

void tq_squared_difference_dsp_s8(const tq_squared_difference_dsp_params *p, const int8_t *in1, const int8_t *in2,
                                  int8_t *out)
{
    const int16_t *l1 = p->lut1 + TQ_ADD_LUT_ZERO, *l2 = p->lut2 + TQ_ADD_LUT_ZERO;
    const tq_rq q = p->rq;
    const int32_t n = p->shape.count, fs = p->fshift;
    if (p->exact) {
        TQ_BROADCAST_LOOP(&p->shape, {
            const int32_t d = l1[in1[i1]] - l2[in2[i2]];
            out[o] = (int8_t)tq_rq_sat8(tq_rq_exact(&q, d * d, p->zp));
        });
        return;
    }
    if (p->walk == TQ_WALK_GENERAL) {
        TQ_BROADCAST_LOOP(&p->shape, out[o] = (int8_t)sq_fast(l1[in1[i1]] - l2[in2[i2]], fs, &q));
        return;
    }
    /* the square of the difference is symmetric: a swapped walk swaps the tables */
#define TQ_SQ_RUN(a, b, dst, len, b_step, swap) \
    sq_run((swap) ? l2 : l1, (swap) ? l1 : l2, a, b, dst, len, fs, &q, b_step)
#ifdef TQ_HAVE_DSP
#define TQ_SQ_ROWS(full, rep, dst, rows, per, swap) \
    ((per) % 4 == 0 &&                               \
     (sq_rows_asm((swap) ? l2 : l1, (swap) ? l1 : l2, full, rep, dst, rows, (per) / 4, fs, &q), 1))
#else
#define TQ_SQ_ROWS TQ_WALK_NO_ROWS
#endif
    TQ_WALK_FAST(p->walk, p->period, n, in1, in2, out, TQ_SQ_RUN, TQ_SQ_ROWS);
#undef TQ_SQ_RUN
#undef TQ_SQ_ROWS
}
