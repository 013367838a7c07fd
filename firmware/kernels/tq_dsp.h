/* The Cortex-M DSP-extension instructions the *_dsp kernels are built on, and their fast
 * requantization. With __ARM_FEATURE_DSP (Cortex-M4/M7/M33) each helper is one instruction;
 * elsewhere (the host, where `tinyq verify` runs the same kernels) it is the same arithmetic in
 * portable C, so the host checks the very algorithm the device runs. */
#ifndef TQ_DSP_H
#define TQ_DSP_H

#include <stdint.h>
#include <string.h>

#include "tq_common.h"

/* A kernel file whose layers never take TFLM's arithmetic (rq_exact; its generator knows) defines
 * TQ_RQ_NO_EXACT 1 before including this: the exact paths below then leave its build (a layer
 * with rq_exact would go wrong). */
#ifndef TQ_RQ_NO_EXACT
#define TQ_RQ_NO_EXACT 0
#endif

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
#include <arm_acle.h>
#define TQ_HAVE_DSP 1
#endif

/* A 32-bit load from any address (an unaligned LDR on Cortex-M4). */
static inline int32_t tq_read_s32(const void *p)
{
    int32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* The two words at *p (word-aligned) in one LDRD, advancing *p by two words. gcc splits such
 * loads into two LDRs, hence the asm; the "m" operand tells it which memory is read. */
typedef struct {
    int32_t w[2];
} tq_2x32;

/* The signed halfwords of x. */
static inline int32_t tq_lo16(int32_t x) { return (int16_t)(uint16_t)((uint32_t)x & 0xFFFFu); }
static inline int32_t tq_hi16(int32_t x) { return (int16_t)(uint16_t)((uint32_t)x >> 16); }

#ifdef TQ_HAVE_DSP
static inline void tq_ld2(const int32_t **p, int32_t *a, int32_t *b)
{
    __asm__("ldrd %0, %1, [%2], #8" : "=r"(*a), "=r"(*b), "+r"(*p) : "m"(*(const tq_2x32 *)*p));
}
#else
static inline void tq_ld2(const int32_t **p, int32_t *a, int32_t *b)
{
    *a = (*p)[0];
    *b = (*p)[1];
    *p += 2;
}
#endif

#ifdef TQ_HAVE_DSP
/* bytes 0 and 2 of x, sign-extended into the two halfwords */
static inline int32_t tq_sxtb16(int32_t x) { return (int32_t)__sxtb16((uint32_t)x); }
/* bytes 1 and 3 of x, sign-extended into the two halfwords */
static inline int32_t tq_sxtb16_ror8(int32_t x)
{
    int32_t r;   /* gcc does not fold the rotation into SXTB16 by itself */
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
    return r;
}
/* acc + lo(a) * lo(b) + hi(a) * hi(b), halfwords signed */
static inline int32_t tq_smlad(int32_t a, int32_t b, int32_t acc) { return __smlad((int16x2_t)a, (int16x2_t)b, acc); }
static inline int32_t tq_smlabb(int32_t a, int32_t b, int32_t acc) { return __smlabb(a, b, acc); }
static inline int32_t tq_smlatt(int32_t a, int32_t b, int32_t acc) { return __smlatt(a, b, acc); }
static inline int32_t tq_smlabt(int32_t a, int32_t b, int32_t acc) { return __smlabt(a, b, acc); }
/* acc + bytes 0 and 2 of x (sign-extended), halfwise */
static inline int32_t tq_sxtab16(int32_t acc, int32_t x) { return (int32_t)__sxtab16((uint32_t)acc, (uint32_t)x); }
/* acc + bytes 1 and 3 of x (sign-extended), halfwise */
static inline int32_t tq_sxtab16_ror8(int32_t acc, int32_t x)
{
    int32_t r;
    __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(acc), "r"(x));
    return r;
}
/* halfwise a + b (no saturation needed: operands are sign-extended bytes plus an offset) */
static inline int32_t tq_sadd16(int32_t a, int32_t b) { return (int32_t)__sadd16((int16x2_t)a, (int16x2_t)b); }
/* c + round(a * b / 2^32) (SMMLAR) */
static inline int32_t tq_smmlar(int32_t a, int32_t b, int32_t c)
{
    int32_t r;
    __asm__("smmlar %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(c));
    return r;
}
#else
static inline int32_t tq_pack16(int32_t lo, int32_t hi)
{
    return (int32_t)(((uint32_t)(uint16_t)(int16_t)lo) | ((uint32_t)(uint16_t)(int16_t)hi << 16));
}
static inline int32_t tq_sxtb16(int32_t x)
{
    return tq_pack16((int8_t)(uint8_t)((uint32_t)x & 0xFFu), (int8_t)(uint8_t)(((uint32_t)x >> 16) & 0xFFu));
}
static inline int32_t tq_sxtb16_ror8(int32_t x) { return tq_sxtb16((int32_t)((uint32_t)x >> 8)); }
static inline int32_t tq_smlad(int32_t a, int32_t b, int32_t acc)
{
    return (int32_t)((uint32_t)acc + (uint32_t)(tq_lo16(a) * tq_lo16(b)) + (uint32_t)(tq_hi16(a) * tq_hi16(b)));
}
static inline int32_t tq_smlabb(int32_t a, int32_t b, int32_t acc)
{
    return (int32_t)((uint32_t)acc + (uint32_t)(tq_lo16(a) * tq_lo16(b)));
}
static inline int32_t tq_smlatt(int32_t a, int32_t b, int32_t acc)
{
    return (int32_t)((uint32_t)acc + (uint32_t)(tq_hi16(a) * tq_hi16(b)));
}
static inline int32_t tq_smlabt(int32_t a, int32_t b, int32_t acc)
{
    return (int32_t)((uint32_t)acc + (uint32_t)(tq_lo16(a) * tq_hi16(b)));
}
static inline int32_t tq_sadd16(int32_t a, int32_t b)
{
    return tq_pack16(tq_lo16(a) + tq_lo16(b), tq_hi16(a) + tq_hi16(b));
}
static inline int32_t tq_sxtab16(int32_t acc, int32_t x) { return tq_sadd16(acc, tq_sxtb16(x)); }
static inline int32_t tq_sxtab16_ror8(int32_t acc, int32_t x) { return tq_sadd16(acc, tq_sxtb16_ror8(x)); }
static inline int32_t tq_smmlar(int32_t a, int32_t b, int32_t c)
{
    /* c * 2^32 is a multiple of 2^32, so it passes through the floor: add it afterwards */
    const int64_t hi = ((int64_t)a * (int64_t)b + (int64_t)0x80000000) >> 32;
    return (int32_t)((uint32_t)c + (uint32_t)(int32_t)hi);
}
#endif

/* Per-output-channel requantization constants, computed at generation time
 * (tinyq/ops/_dsp_layout.py) so that TFLM's MultiplyByQuantizedMultiplier plus the output offset
 * costs a handful of instructions:
 *   x = SRDHM(acc << ls, mult)  ==  round((acc << (ls + 1)) * mult / 2^32)    (SMMULR)
 *   y = RDBPOT(x, rs) + zp      ==  (x + add + (x < 0 ? -1 : 0)) >> rs,
 *       add = 2^(rs-1) + (zp << rs)
 * The factor 2^(ls + 1) is already in the channel's weights and bias (widened to int16, they
 * have room), so the accumulator arrives scaled. Both identities are exact while nothing
 * overflows and rs >= 1; the generator proves that from the accumulator's bound for every
 * channel, or else sets the layer's rq_exact and keeps TFLM's arithmetic (rows hold mult and
 * shift, weights unscaled). */
typedef struct {
    int32_t mult;   /* Q31 multiplier */
    int32_t add;    /* 2^(rs-1) + (output zero point << rs); with rq_exact: TFLM's shift */
    int32_t rs;     /* right shift */
} tq_rq;

/* The requantized, offset (not yet clamped) value of a scaled accumulator. The rounding's sign
 * is taken from the accumulator rather than from the product x: with mult > 0 they differ only
 * where x rounds to 0, and there (2^(rs-1) - 1 + zp 2^rs) >> rs == (2^(rs-1) + zp 2^rs) >> rs == zp
 * (rs >= 1); the rows of constant channels (mult 0, add 2y + 1, rs 1) give y either way. One
 * instruction less an output. */
static inline int32_t tq_rq_fast(const tq_rq *q, int32_t acc)
{
    return (tq_smmlar(acc, q->mult, q->add) + (acc >> 31)) >> q->rs;
}

/* TFLM's arithmetic, for layers whose constants fail the generator's proof. */
static inline int32_t tq_rq_exact(const tq_rq *q, int32_t acc, int32_t zp)
{
    return tq_requantize(acc, q->mult, q->add) + zp;
}

static inline int32_t tq_rq_apply(const tq_rq *q, int32_t acc, int32_t zp, int32_t exact)
{
    return !TQ_RQ_NO_EXACT && exact ? tq_rq_exact(q, acc, zp) : tq_rq_fast(q, acc);
}

/* Clamp to the fused activation's range, which lies within int8. */
static inline int32_t tq_rq_clamp(int32_t v, int32_t lo, int32_t hi)
{
#ifdef TQ_HAVE_DSP
    v = __ssat(v, 8);
#endif
    v = v < lo ? lo : v;
    return v > hi ? hi : v;
}

/* How a layer's outputs are requantized and clamped (chosen once per layer, dispatched per
 * block of 4 outputs, so the per-output code has no branches). */
enum {
    TQ_RQ_FAST_FULL = 0,   /* fast form; activation range is all of int8 (what the TFLite
                            * converter makes of RELU too): SSAT alone clamps; in asm */
    TQ_RQ_FAST_CLAMP = 1,  /* fast form, then the activation range (RELU6 ...) */
    TQ_RQ_EXACT = 2        /* TFLM's arithmetic */
};

static inline int32_t tq_rq_mode(int32_t exact, int32_t lo, int32_t hi)
{
    return !TQ_RQ_NO_EXACT && exact ? TQ_RQ_EXACT : (lo <= -128 && hi >= 127) ? TQ_RQ_FAST_FULL : TQ_RQ_FAST_CLAMP;
}

static inline int32_t tq_rq_sat8(int32_t v)
{
#ifdef TQ_HAVE_DSP
    return __ssat(v, 8);
#else
    return TQ_CLAMP(v, -128, 127);
#endif
}

#ifdef TQ_HAVE_DSP
/* tq_rq_fast then SSAT on register acc, the rows' pointer operand q advancing one row. */
#define TQ_RQ_ASM_AT(acc, q)                               \
    "ldmia %[" #q "]!, {r4, r5, r6}\n\t"                \
    "smmlar r4, %[" #acc "], r4, r5\n\t"                   \
    "add %[" #acc "], r4, %[" #acc "], asr #31\n\t"        \
    "asr %[" #acc "], %[" #acc "], r6\n\t"                 \
    "ssat %[" #acc "], #8, %[" #acc "]\n\t"
#define TQ_RQ_ASM(acc) TQ_RQ_ASM_AT(acc, q)
#endif

/* Requantize, offset and clamp four consecutive channels' accumulators into out[0..3]. All
 * loads come before the stores: a store through int8_t * could alias anything, and would make
 * the compiler reload the constants after it. */
#if defined(__GNUC__)
#define TQ_ALWAYS_INLINE __attribute__((always_inline))
#else
#define TQ_ALWAYS_INLINE
#endif

/* TFLM's arithmetic, for 4 outputs: out of line, one copy per kernel file instead of one per
 * call site (its 64-bit multiplies take about 500 bytes inlined 4 times; each kernel has several
 * call sites). Only layers that fail the generator's proof (rq_exact) run it, and a call per 4
 * outputs is little next to its own cost. */
#if defined(__GNUC__)
__attribute__((noinline, unused))
#endif
static void tq_rq_store4_exact(const tq_rq *q, const int32_t *a, int32_t zp, int32_t lo, int32_t hi, int8_t *out)
{
    int32_t r[4];
    for (int j = 0; j < 4; ++j) {   /* every load before the first store, as below */
        r[j] = tq_rq_clamp(tq_rq_exact(q + j, a[j], zp), lo, hi);
    }
    for (int j = 0; j < 4; ++j) {
        out[j] = (int8_t)r[j];
    }
}

TQ_ALWAYS_INLINE static inline void tq_rq_store4(const tq_rq *q, int32_t a0, int32_t a1, int32_t a2, int32_t a3,
                                                 int32_t zp, int32_t lo, int32_t hi, int32_t mode, int8_t *out)
{
    int32_t r0, r1, r2, r3;
#ifdef TQ_HAVE_DSP
    /* The common form in asm: one LDM brings a channel's 3 constants, 7 instructions an output
     * (gcc's version needs about 12: separate loads, and spills). */
    if (mode == TQ_RQ_FAST_FULL) {
        __asm__ volatile(TQ_RQ_ASM(a0) "strb %[a0], [%[out]]\n\t"
                         TQ_RQ_ASM(a1) "strb %[a1], [%[out], #1]\n\t"
                         TQ_RQ_ASM(a2) "strb %[a2], [%[out], #2]\n\t"
                         TQ_RQ_ASM(a3) "strb %[a3], [%[out], #3]\n\t"
                         : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [q] "+r"(q)
                         : [out] "r"(out)
                         : "r4", "r5", "r6", "cc", "memory");
        return;
    }
#endif
    if (mode == TQ_RQ_FAST_FULL) {
        r0 = tq_rq_sat8(tq_rq_fast(q, a0));
        r1 = tq_rq_sat8(tq_rq_fast(q + 1, a1));
        r2 = tq_rq_sat8(tq_rq_fast(q + 2, a2));
        r3 = tq_rq_sat8(tq_rq_fast(q + 3, a3));
    } else if (TQ_RQ_NO_EXACT || mode == TQ_RQ_FAST_CLAMP) {
        r0 = tq_rq_clamp(tq_rq_fast(q, a0), lo, hi);
        r1 = tq_rq_clamp(tq_rq_fast(q + 1, a1), lo, hi);
        r2 = tq_rq_clamp(tq_rq_fast(q + 2, a2), lo, hi);
        r3 = tq_rq_clamp(tq_rq_fast(q + 3, a3), lo, hi);
    } else {
        const int32_t a[4] = {a0, a1, a2, a3};
        tq_rq_store4_exact(q, a, zp, lo, hi, out);
        return;
    }
    out[0] = (int8_t)r0;
    out[1] = (int8_t)r1;
    out[2] = (int8_t)r2;
    out[3] = (int8_t)r3;
}

#endif /* TQ_DSP_H */
