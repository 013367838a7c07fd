/* What the float32 kernels share: the fused activation clamp and an expf without libm.
 *
 * Float kernels follow TFLite's float reference arithmetic (LiteRT's interpreter is their
 * reference), not bit for bit: sums are taken in the kernels' own order, and exp() is the
 * polynomial below (relative error below 2e-7 over the float range). `tinyq verify` compares
 * float models with a tolerance (tinyq/workflows/verify.py). */
#ifndef TQ_F32_H
#define TQ_F32_H

#include <stdint.h>
#include <string.h>

#include "tq_common.h"

static inline float tq_clampf(float x, float lo, float hi)
{
    return x < lo ? lo : (x > hi ? hi : x);
}

/* e^x: x = k ln2 + r with |r| <= ln2/2, e^r by its degree-7 Taylor polynomial (Horner), times
 * 2^k built in the exponent bits. 0 below -87.3 (where e^x is denormal), +inf above 88.7. */
static inline float tq_expf(float x)
{
    if (x != x) {
        return x;
    }
    if (x < -87.3f) {
        return 0.0f;
    }
    if (x > 88.72f) {
        return 1.0f / 0.0f;
    }
    const float kf = x * 1.44269504f;
    const int32_t k = (int32_t)(kf < 0.0f ? kf - 0.5f : kf + 0.5f);
    /* ln2 split in two so k * ln2_hi is exact in float */
    const float r = (x - (float)k * 0.693145752f) - (float)k * 1.42860677e-6f;
    float p = 1.0f / 5040.0f;
    p = p * r + 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    /* k may reach 128 just below the overflow bound: scale in two steps */
    const int32_t k1 = k > 127 ? 127 : k;
    uint32_t bits = (uint32_t)(k1 + 127) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    p *= scale;
    if (k > k1) {
        p *= 2.0f;
    }
    return p;
}

/* IEEE half (its bits) -> float, exact. VCVTB where the FPU has the half-precision conversions:
 * __ARM_FP bit 1, or any VFPv4 (__ARM_FEATURE_FMA: Cortex-M4F's FPv4-SP has them, though GCC's
 * __ARM_FP for it is 4); bit arithmetic elsewhere (soft-float cores, the host). */
static inline float tq_h2f(uint16_t h)
{
#if defined(__ARM_FP) && ((__ARM_FP & 2) || defined(__ARM_FEATURE_FMA))
    const uint32_t u = h;
    float in, f;
    memcpy(&in, &u, sizeof in);
    __asm__("vcvtb.f32.f16 %0, %1" : "=t"(f) : "t"(in));
    return f;
#else
    const uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    const uint32_t exp = (h >> 10) & 0x1fu;
    uint32_t mant = h & 0x3ffu, bits;
    if (exp == 0x1fu) {
        bits = sign | 0x7f800000u | (mant << 13);           /* inf, nan */
    } else if (exp != 0) {
        bits = sign | ((exp + 112u) << 23) | (mant << 13);
    } else if (mant == 0) {
        bits = sign;
    } else {                                                /* subnormal: normalize */
        uint32_t e = 113;
        while (!(mant & 0x400u)) {
            mant <<= 1;
            --e;
        }
        bits = sign | (e << 23) | ((mant & 0x3ffu) << 13);
    }
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
#endif
}

#endif /* TQ_F32_H */
