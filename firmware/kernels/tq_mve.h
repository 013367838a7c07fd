/* Helium (M-profile Vector Extension) building blocks of the mve kernels: int8 dot products
 * accumulated exactly in int32 (16 multiply-accumulates per VMLADAVA, whole vectors first, one
 * predicated vector for the tail: inactive lanes are not accessed, so nothing is read past a
 * run), and TFLM's requantization on 4 lanes at once. Where the compiler has no MVE (the host
 * check) the same functions are plain C, so `tinyq verify --kernels mve` checks the algorithm
 * and the emulated Cortex-M55 checks the intrinsics. */
#ifndef TQ_MVE_H
#define TQ_MVE_H

#include <stdint.h>

#include "tq_common.h"

#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1)
#include <arm_mve.h>
#define TQ_HAVE_MVE 1
#endif

/* acc + sum_i a[i] * b[i], i < n. */
static inline int32_t tq_mve_dot(const int8_t *a, const int8_t *b, int32_t n, int32_t acc)
{
#ifdef TQ_HAVE_MVE
    for (int32_t k = n >> 4; k > 0; --k, a += 16, b += 16) {
        acc = vmladavaq_s8(acc, vldrbq_s8(a), vldrbq_s8(b));
    }
    if (n & 15) {
        const mve_pred16_t p = vctp8q((uint32_t)(n & 15));
        acc = vmladavaq_p_s8(acc, vldrbq_z_s8(a, p), vldrbq_z_s8(b, p), p);
    }
#else
    for (int32_t i = 0; i < n; ++i) {
        acc += (int32_t)a[i] * (int32_t)b[i];
    }
#endif
    return acc;
}

/* acc[j] += sum_i x[i] * w[j * stride + i] for the 4 rows j of a block: each x vector loaded once. */
static inline void tq_mve_dot4(const int8_t *x, const int8_t *w, int32_t stride, int32_t n, int32_t acc[4])
{
    const int8_t *w0 = w, *w1 = w + stride, *w2 = w + 2 * stride, *w3 = w + 3 * stride;
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
#ifdef TQ_HAVE_MVE
    for (int32_t k = n >> 4; k > 0; --k, x += 16, w0 += 16, w1 += 16, w2 += 16, w3 += 16) {
        const int8x16_t vx = vldrbq_s8(x);
        a0 = vmladavaq_s8(a0, vx, vldrbq_s8(w0));
        a1 = vmladavaq_s8(a1, vx, vldrbq_s8(w1));
        a2 = vmladavaq_s8(a2, vx, vldrbq_s8(w2));
        a3 = vmladavaq_s8(a3, vx, vldrbq_s8(w3));
    }
    if (n & 15) {
        const mve_pred16_t p = vctp8q((uint32_t)(n & 15));
        const int8x16_t vx = vldrbq_z_s8(x, p);
        a0 = vmladavaq_p_s8(a0, vx, vldrbq_z_s8(w0, p), p);
        a1 = vmladavaq_p_s8(a1, vx, vldrbq_z_s8(w1, p), p);
        a2 = vmladavaq_p_s8(a2, vx, vldrbq_z_s8(w2, p), p);
        a3 = vmladavaq_p_s8(a3, vx, vldrbq_z_s8(w3, p), p);
    }
#else
    for (int32_t i = 0; i < n; ++i) {
        const int32_t v = x[i];
        a0 += v * w0[i];
        a1 += v * w1[i];
        a2 += v * w2[i];
        a3 += v * w3[i];
    }
#endif
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}

/* acc + sum_i w[i] * (x[i] + off): the dot product plus off times the sum of the weights,
 * both exact in int32 (|off| <= 255, |w| <= 128: the extra term is the same integer). */
static inline int32_t tq_mve_dot_off(const int8_t *x, const int8_t *w, int32_t n, int32_t off, int32_t acc)
{
    int32_t wsum = 0;
#ifdef TQ_HAVE_MVE
    for (; n > 0; n -= 16, x += 16, w += 16) {
        const mve_pred16_t p = vctp8q((uint32_t)n);
        const int8x16_t vw = vldrbq_z_s8(w, p);
        acc = vmladavaq_p_s8(acc, vldrbq_z_s8(x, p), vw, p);
        wsum = vaddvaq_p_s8(wsum, vw, p);
    }
#else
    for (int32_t i = 0; i < n; ++i) {
        acc += (int32_t)w[i] * (int32_t)x[i];
        wsum += w[i];
    }
#endif
    return acc + off * wsum;
}

/* acc[j] += sum_i w[j * stride + i] * (x[i] + off) for the 4 rows j of a block: tq_mve_dot4
 * plus off times each row's weight sum (the border windows of a convolution). */
static inline void tq_mve_dot4_off(const int8_t *x, const int8_t *w, int32_t stride, int32_t n, int32_t off,
                                   int32_t acc[4])
{
    int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    const int8_t *w0 = w, *w1 = w + stride, *w2 = w + 2 * stride, *w3 = w + 3 * stride;
#ifdef TQ_HAVE_MVE
    for (; n > 0; n -= 16, x += 16, w0 += 16, w1 += 16, w2 += 16, w3 += 16) {
        const mve_pred16_t p = vctp8q((uint32_t)n);
        const int8x16_t vx = vldrbq_z_s8(x, p);
        const int8x16_t v0 = vldrbq_z_s8(w0, p), v1 = vldrbq_z_s8(w1, p);
        const int8x16_t v2 = vldrbq_z_s8(w2, p), v3 = vldrbq_z_s8(w3, p);
        acc[0] = vmladavaq_s8(acc[0], vx, v0);
        acc[1] = vmladavaq_s8(acc[1], vx, v1);
        acc[2] = vmladavaq_s8(acc[2], vx, v2);
        acc[3] = vmladavaq_s8(acc[3], vx, v3);
        s0 = vaddvaq_s8(s0, v0);
        s1 = vaddvaq_s8(s1, v1);
        s2 = vaddvaq_s8(s2, v2);
        s3 = vaddvaq_s8(s3, v3);
    }
#else
    for (int32_t i = 0; i < n; ++i) {
        const int32_t v = x[i];
        acc[0] += v * w0[i];
        acc[1] += v * w1[i];
        acc[2] += v * w2[i];
        acc[3] += v * w3[i];
        s0 += w0[i];
        s1 += w1[i];
        s2 += w2[i];
        s3 += w3[i];
    }
#endif
    acc[0] += off * s0;
    acc[1] += off * s1;
    acc[2] += off * s2;
    acc[3] += off * s3;
}

/* out[j] = clamp(requantize(acc[j], mult[j], shift[j]) + off, lo, hi) as int8, j < n <= 4.
 * On MVE, bit-exact with tq_requantize (TFLM's MultiplyByQuantizedMultiplier):
 *  - the left shift is VSHL, which wraps like the scalar code's shift through uint32;
 *  - gemmlowp's SaturatingRoundingDoublingHighMul rounds (a*b) / 2^31 half towards +infinity
 *    for both signs and saturates only INT32_MIN * INT32_MIN: that is exactly VQRDMULH;
 *  - RoundingDivideByPOT rounds half away from zero, VRSHL half towards +infinity: subtracting
 *    1 (saturating) from a negative value first moves exactly its ties down, and changes
 *    nothing else; with no right shift there is nothing to round and nothing is subtracted. */
static inline void tq_mve_requant4(const int32_t acc[4], const int32_t *mult, const int32_t *shift, int32_t n,
                                   int32_t off, int32_t lo, int32_t hi, int8_t *out)
{
#ifdef TQ_HAVE_MVE
    const mve_pred16_t p = vctp32q((uint32_t)n);
    const int32x4_t sh = vldrwq_z_s32(shift, p);
    const int32x4_t zero = vdupq_n_s32(0);
    const int32x4_t right = vminq_s32(sh, zero);              /* <= 0: a right shift */
    int32x4_t v = vshlq_s32(vldrwq_s32(acc), vmaxq_s32(sh, zero));
    v = vqrdmulhq_s32(v, vldrwq_z_s32(mult, p));
    const int32x4_t fix = vpselq_s32(vshrq_n_s32(v, 31), zero, vcmpltq_n_s32(right, 0));
    v = vrshlq_s32(vqaddq_s32(v, fix), right);
    v = vminq_s32(vmaxq_s32(vaddq_n_s32(v, off), vdupq_n_s32(lo)), vdupq_n_s32(hi));
    vstrbq_p_s32(out, v, p);
#else
    for (int32_t j = 0; j < n; ++j) {
        const int32_t v = tq_requantize(acc[j], mult[j], shift[j]) + off;
        out[j] = (int8_t)TQ_CLAMP(v, lo, hi);
    }
#endif
}

#endif /* TQ_MVE_H */
