#include "tq_config.h"
#if TQ_SIZE_POOLING
TQ_SIZE_HERE
#endif
#include "pooling.h"

#include <string.h>

#include "tq_common.h"
#include "tq_dsp.h"

/* The window of output pixel (oy, ox) clipped to the image: [*y0, *y1) x [*x0, *x1). */
static void window(const tq_pool_params *p, int32_t oy, int32_t ox,
                   int32_t *y0, int32_t *y1, int32_t *x0, int32_t *x1)
{
    const int32_t iy = oy * p->geo.stride_h - p->geo.pad_h;
    const int32_t ix = ox * p->geo.stride_w - p->geo.pad_w;
    *y0 = TQ_MAX(iy, 0);
    *y1 = TQ_MIN(iy + p->geo.k_h, p->geo.in_h);
    *x0 = TQ_MAX(ix, 0);
    *x1 = TQ_MIN(ix + p->geo.k_w, p->geo.in_w);
}

/* sum / count rounded half away from zero, clamped (TFLM's AveragePool). */
static inline int32_t average(const tq_pool_params *p, int32_t sum, int32_t count)
{
    /* count > 0 always: the generator rejects windows entirely in the padding. */
    sum = sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
    return TQ_CLAMP(sum, p->act_min, p->act_max);
}

/* Channels 4 at a time: one word load and two SXTAB16 per window tap add 4 inputs into the
 * 16-bit halves of two sums (at most 255 taps of |x| <= 128: no overflow). */
static void average_simd(const tq_pool_params *p, const int8_t *in, int8_t *out)
{
    const int32_t c_n = p->geo.in_c, row = p->geo.in_w * c_n;
    for (int32_t b = 0; b < p->geo.batches; ++b) {
        const int8_t *in_b = in + (int32_t)b * p->geo.in_h * row;
        for (int32_t oy = 0; oy < p->geo.out_h; ++oy) {
            for (int32_t ox = 0; ox < p->geo.out_w; ++ox, out += c_n) {
                int32_t y0, y1, x0, x1;
                window(p, oy, ox, &y0, &y1, &x0, &x1);
                const int32_t count = (y1 - y0) * (x1 - x0);
                for (int32_t c = 0; c < c_n; c += 4) {
                    int32_t s02 = 0, s13 = 0;
                    for (int32_t y = y0; y < y1; ++y) {
                        const int8_t *px = in_b + y * row + x0 * c_n + c;
                        for (int32_t x = x0; x < x1; ++x, px += c_n) {
                            const int32_t v = tq_read_s32(px);
                            s02 = tq_sxtab16(s02, v);
                            s13 = tq_sxtab16_ror8(s13, v);
                        }
                    }
                    out[c] = (int8_t)average(p, tq_lo16(s02), count);
                    out[c + 1] = (int8_t)average(p, tq_lo16(s13), count);
                    out[c + 2] = (int8_t)average(p, tq_hi16(s02), count);
                    out[c + 3] = (int8_t)average(p, tq_hi16(s13), count);
                }
            }
        }
    }
}

/* One scalar average/max pool per activation type T (TFLM's AveragePool / MaxPool are the same
 * templates for int8 and int16: int32 sums, rounding half away from zero, the type's lowest
 * value as the empty maximum). */
#define TQ_DEFINE_POOLS(SUFFIX, T, LOWEST)                                                       \
    static void average_scalar_##SUFFIX(const tq_pool_params *p, const T *in, T *out)            \
    {                                                                                             \
        const int32_t c_n = p->geo.in_c;                                                          \
        for (int32_t b = 0; b < p->geo.batches; ++b) {                                            \
            const T *in_b = in + (int32_t)b * p->geo.in_h * p->geo.in_w * c_n;                    \
            for (int32_t oy = 0; oy < p->geo.out_h; ++oy) {                                       \
                for (int32_t ox = 0; ox < p->geo.out_w; ++ox) {                                   \
                    int32_t y0, y1, x0, x1;                                                       \
                    window(p, oy, ox, &y0, &y1, &x0, &x1);                                        \
                    const int32_t count = (y1 - y0) * (x1 - x0);                                  \
                    for (int32_t c = 0; c < c_n; ++c) {                                           \
                        int32_t acc = 0;                                                          \
                        for (int32_t y = y0; y < y1; ++y) {                                       \
                            for (int32_t x = x0; x < x1; ++x) {                                   \
                                acc += in_b[(y * p->geo.in_w + x) * c_n + c];                     \
                            }                                                                     \
                        }                                                                         \
                        *out++ = (T)average(p, acc, count);                                       \
                    }                                                                             \
                }                                                                                 \
            }                                                                                     \
        }                                                                                         \
    }                                                                                             \
    static void max_scalar_##SUFFIX(const tq_pool_params *p, const T *in, T *out)                \
    {                                                                                             \
        const int32_t c_n = p->geo.in_c;                                                          \
        for (int32_t b = 0; b < p->geo.batches; ++b) {                                            \
            const T *in_b = in + (int32_t)b * p->geo.in_h * p->geo.in_w * c_n;                    \
            for (int32_t oy = 0; oy < p->geo.out_h; ++oy) {                                       \
                for (int32_t ox = 0; ox < p->geo.out_w; ++ox) {                                   \
                    int32_t y0, y1, x0, x1;                                                       \
                    window(p, oy, ox, &y0, &y1, &x0, &x1);                                        \
                    for (int32_t c = 0; c < c_n; ++c) {                                           \
                        int32_t m = LOWEST;                                                       \
                        for (int32_t y = y0; y < y1; ++y) {                                       \
                            for (int32_t x = x0; x < x1; ++x) {                                   \
                                m = TQ_MAX(m, (int32_t)in_b[(y * p->geo.in_w + x) * c_n + c]);    \
                            }                                                                     \
                        }                                                                         \
                        *out++ = (T)TQ_CLAMP(m, p->act_min, p->act_max);                          \
                    }                                                                             \
                }                                                                                 \
            }                                                                                     \
        }                                                                                         \
    }

TQ_DEFINE_POOLS(s8, int8_t, -128)
TQ_DEFINE_POOLS(s16, int16_t, -32768)

void tq_average_pool_2d_s8(const tq_pool_params *p, const int8_t *in, int8_t *out)
{
    if (p->simd && (p->geo.in_c & 3) == 0) {
        average_simd(p, in, out);
        return;
    }
    average_scalar_s8(p, in, out);
}

void tq_average_pool_2d_s16(const tq_pool_params *p, const int16_t *in, int16_t *out)
{
    average_scalar_s16(p, in, out);
}

/* Four channels per word: SSUB8 sets the per-byte GE flags, SEL keeps the larger bytes. */
static inline int32_t max4(int32_t a, int32_t b)
{
#ifdef TQ_HAVE_DSP
    (void)__ssub8((int8x4_t)a, (int8x4_t)b);
    return (int32_t)__sel((uint8x4_t)a, (uint8x4_t)b);
#else
    uint32_t r = 0;
    for (int k = 0; k < 32; k += 8) {
        const int8_t x = (int8_t)((uint32_t)a >> k), y = (int8_t)((uint32_t)b >> k);
        r |= (uint32_t)(uint8_t)(x > y ? x : y) << k;
    }
    return (int32_t)r;
#endif
}

static inline int32_t min4(int32_t a, int32_t b)
{
#ifdef TQ_HAVE_DSP
    (void)__ssub8((int8x4_t)a, (int8x4_t)b);
    return (int32_t)__sel((uint8x4_t)b, (uint8x4_t)a);
#else
    uint32_t r = 0;
    for (int k = 0; k < 32; k += 8) {
        const int8_t x = (int8_t)((uint32_t)a >> k), y = (int8_t)((uint32_t)b >> k);
        r |= (uint32_t)(uint8_t)(x < y ? x : y) << k;
    }
    return (int32_t)r;
#endif
}

static void max_simd(const tq_pool_params *p, const int8_t *in, int8_t *out)
{
    const tq_window g = p->geo;
    const int32_t c_n = g.in_c, row = g.in_w * c_n;
    const int32_t lo4 = (int32_t)(0x01010101u * (uint8_t)(int8_t)p->act_min);
    const int32_t hi4 = (int32_t)(0x01010101u * (uint8_t)(int8_t)p->act_max);
    const int clamp = p->act_min > -128 || p->act_max < 127;
    for (int32_t b = 0; b < g.batches; ++b) {
        const int8_t *in_b = in + (int32_t)b * g.in_h * row;
        for (int32_t oy = 0; oy < g.out_h; ++oy) {
            for (int32_t ox = 0; ox < g.out_w; ++ox, out += c_n) {
                int32_t y0, y1, x0, x1;
                window(p, oy, ox, &y0, &y1, &x0, &x1);
                for (int32_t c = 0; c < c_n; c += 4) {
                    int32_t m = (int32_t)0x80808080u;     /* four -128s */
                    for (int32_t y = y0; y < y1; ++y) {
                        const int8_t *px = in_b + y * row + x0 * c_n + c;
                        for (int32_t x = x0; x < x1; ++x, px += c_n) {
                            m = max4(m, tq_read_s32(px));
                        }
                    }
                    if (clamp) {
                        m = min4(max4(m, lo4), hi4);
                    }
                    memcpy(out + c, &m, 4);
                }
            }
        }
    }
}

void tq_max_pool_2d_s8(const tq_pool_params *p, const int8_t *in, int8_t *out)
{
    if (p->simd && (p->geo.in_c & 3) == 0) {
        max_simd(p, in, out);
        return;
    }
    max_scalar_s8(p, in, out);
}

void tq_max_pool_2d_s16(const tq_pool_params *p, const int16_t *in, int16_t *out)
{
    max_scalar_s16(p, in, out);
}
