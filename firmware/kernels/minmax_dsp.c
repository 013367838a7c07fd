#include "minmax_dsp.h"

#include <string.h>

#include "tq_dsp.h"

/* 4 bytes of a and b -> their bytewise max (is_max) or min */
TQ_ALWAYS_INLINE static inline uint32_t pick4(uint32_t a, uint32_t b, int is_max)
{
#ifdef TQ_HAVE_DSP
    uint32_t t, r;
    if (is_max) {
        __asm__("ssub8 %[t], %[a], %[b]\n\tsel %[r], %[a], %[b]" : [t] "=&r"(t), [r] "=&r"(r) : [a] "r"(a), [b] "r"(b)
                : "cc");
    } else {
        __asm__("ssub8 %[t], %[a], %[b]\n\tsel %[r], %[b], %[a]" : [t] "=&r"(t), [r] "=&r"(r) : [a] "r"(a), [b] "r"(b)
                : "cc");
    }
    (void)t;
    return r;
#else
    uint32_t r = 0;
    for (int k = 0; k < 32; k += 8) {
        const int8_t x = (int8_t)(uint8_t)(a >> k), y = (int8_t)(uint8_t)(b >> k);
        const int8_t v = is_max ? (x > y ? x : y) : (x < y ? x : y);
        r |= (uint32_t)(uint8_t)v << k;
    }
    return r;
#endif
}

/* n elements; b advancing (b_step) or its byte b[0] in every lane */
TQ_ALWAYS_INLINE static inline void run(const int8_t *a, const int8_t *b, int8_t *out, int32_t n, int is_max,
                                        int b_step)
{
    const uint32_t bb = b_step ? 0u : 0x01010101u * (uint8_t)b[0];
    for (; n >= 4; n -= 4, a += 4, out += 4) {
        uint32_t x, y;
        memcpy(&x, a, 4);       /* LDR: unaligned word accesses are fine on Cortex-M4 */
        if (b_step) {
            memcpy(&y, b, 4);
            b += 4;
        } else {
            y = bb;
        }
        const uint32_t r = pick4(x, y, is_max);
        memcpy(out, &r, 4);
    }
    for (; n > 0; --n, ++a, ++out) {
        const int8_t x = *a, y = b_step ? *b++ : (int8_t)b[0];
        *out = is_max ? (x > y ? x : y) : (x < y ? x : y);
    }
}

TQ_ALWAYS_INLINE static inline void minmax(const tq_minmax_dsp_params *p, const int8_t *in1, const int8_t *in2,
                                           int8_t *out, int is_max)
{
    if (p->walk == TQ_WALK_GENERAL) {
        if (is_max) {
            TQ_BROADCAST_LOOP(&p->shape, out[o] = in1[i1] > in2[i2] ? in1[i1] : in2[i2]);
        } else {
            TQ_BROADCAST_LOOP(&p->shape, out[o] = in1[i1] < in2[i2] ? in1[i1] : in2[i2]);
        }
        return;
    }
    /* max and min are symmetric: a swapped walk needs nothing else */
#define TQ_MINMAX_RUN(a, b, dst, len, b_step, swap) run(a, b, dst, len, is_max, b_step)
    TQ_WALK_FAST(p->walk, p->period, p->shape.count, in1, in2, out, TQ_MINMAX_RUN, TQ_WALK_NO_ROWS);
#undef TQ_MINMAX_RUN
}

void tq_maximum_dsp_s8(const tq_minmax_dsp_params *p, const int8_t *in1, const int8_t *in2, int8_t *out)
{
    minmax(p, in1, in2, out, 1);
}

void tq_minimum_dsp_s8(const tq_minmax_dsp_params *p, const int8_t *in1, const int8_t *in2, int8_t *out)
{
    minmax(p, in1, in2, out, 0);
}
