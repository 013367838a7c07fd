/* Bench inputs generated on the device from a seed ('G' requests, bench_main.c): no input bytes
 * cross the link. The host computes the same values (tinyq/targets/device_inputs.py) and runs its
 * reference on them, so the generator must give identical bits everywhere: integer arithmetic
 * only, and for float inputs conversions and scalings that are exact in float32.
 *
 * Counter-based (every element is a hash of its position, no state carried between elements), so
 * the host computes a whole sample in a few vectorised numpy steps:
 *   key      = mix(seed ^ mix(sample + STEP))
 *   v[c]     = mix(key + (c + 1) * STEP)   for c = 0, 1, ... over all inputs' elements in order
 * with mix() MurmurHash3's 32-bit finaliser (a bijection) and STEP the odd golden-ratio constant.
 * An element of an input is, by its type:
 *   1 byte (int8, uint8)  : the top 8 bits of v
 *   2 bytes (int16, u16)  : the top 16 bits
 *   4-byte integer        : v
 *   float32               : ((v >> 8) - 2^23) / 2^23, uniform in [-1, 1) in steps of 2^-23
 * (integers over the type's whole range, as the host's own random inputs are). */
#ifndef TQ_GEN_INPUTS_H
#define TQ_GEN_INPUTS_H

#include <stdint.h>
#include <string.h>

#define TQ_GEN_STEP 0x9E3779B9u
#define TQ_GEN_FLOAT 0x80u   /* kind flag: a floating-point element (with its size in bytes) */
/* An element type's kind: its size, with TQ_GEN_FLOAT for a float type (0.5 survives the cast). */
#define TQ_GEN_KIND(T) ((uint8_t)(((T)0.5f != (T)0) ? TQ_GEN_FLOAT | sizeof(T) : sizeof(T)))

static inline uint32_t tq_gen_mix(uint32_t h)
{
    h ^= h >> 16;
    h *= 0x85EBCA6Bu;
    h ^= h >> 13;
    h *= 0xC2B2AE35u;
    h ^= h >> 16;
    return h;
}

/* The counter a sample starts from (advanced by tq_gen_fill over all its inputs in order). */
static inline uint32_t tq_gen_key(uint32_t seed, uint32_t sample)
{
    return tq_gen_mix(seed ^ tq_gen_mix(sample + TQ_GEN_STEP));
}

/* Whether tq_gen_fill knows this kind. */
static inline int tq_gen_supported(uint8_t kind)
{
    return kind == 1u || kind == 2u || kind == 4u || kind == (TQ_GEN_FLOAT | 4u);
}

/* Fill `elements` elements of this kind at dst (any alignment); returns the advanced counter. */
static inline uint32_t tq_gen_fill(uint8_t *dst, uint32_t elements, uint8_t kind, uint32_t ctr)
{
    for (uint32_t i = 0; i < elements; ++i) {
        ctr += TQ_GEN_STEP;
        const uint32_t v = tq_gen_mix(ctr);
        if (kind == 1u) {
            dst[i] = (uint8_t)(v >> 24);
        } else if (kind == 2u) {
            dst[2 * i] = (uint8_t)(v >> 16);
            dst[2 * i + 1] = (uint8_t)(v >> 24);
        } else if (kind == 4u) {
            memcpy(dst + 4 * i, &v, 4);   /* little endian, as every supported core */
        } else {
            /* below 2^24: exact as float; the subtraction and the power-of-two scale are exact */
            const float f = ((float)(int32_t)(v >> 8) - 8388608.0f) * (1.0f / 8388608.0f);
            memcpy(dst + 4 * i, &f, 4);
        }
    }
    return ctr;
}

#endif
