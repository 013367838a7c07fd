#include "conv_f32.h"

#include "tq_f32.h"

/* Each kernel written once over its weight type WT and LOAD(w, i), the i-th weight as float: a
 * plain load for float32 weights, tq_h2f for float16 ones. */
#define TQ_CONV_2D(name, WT, LOAD)                                                               \
    void name(const tq_conv_f32_params *p, const float *in, const WT *w, float *out)            \
    {                                                                                            \
        const tq_window g = p->geo;                                                              \
        const int32_t in_c = g.in_c;                                                             \
        const int32_t filt_len = (int32_t)g.k_h * g.k_w * in_c;                                  \
        for (int32_t b = 0; b < g.batches; ++b) {                                                \
            const float *in_b = in + (int32_t)b * g.in_h * g.in_w * in_c;                        \
            for (int32_t oy = 0; oy < g.out_h; ++oy) {                                           \
                const int32_t y0 = oy * g.stride_h - g.pad_h;                                    \
                int32_t ky0, ky1;                                                                \
                tq_tap_range(y0, g.dil_h, g.k_h, g.in_h, &ky0, &ky1);                               \
                for (int32_t ox = 0; ox < g.out_w; ++ox) {                                       \
                    const int32_t x0 = ox * g.stride_w - g.pad_w;                                \
                    int32_t kx0, kx1;                                                            \
                    tq_tap_range(x0, g.dil_w, g.k_w, g.in_w, &kx0, &kx1);                           \
                    int32_t oc = 0;                                                              \
                    /* four channels at a time: each input value loaded once for four sums (each  \
                     * channel's sum still in tap order, so the result is the one-channel loop's) */ \
                    for (; oc + 4 <= g.out_c; oc += 4) {                                         \
                        const WT *w0 = w + oc * filt_len;                                        \
                        float a0 = 0.0f, a1 = 0.0f, a2 = 0.0f, a3 = 0.0f;                        \
                        for (int32_t ky = ky0; ky < ky1; ++ky) {                                 \
                            const float *row = in_b + (y0 + ky * g.dil_h) * g.in_w * in_c;       \
                            for (int32_t kx = kx0; kx < kx1; ++kx) {                             \
                                const float *px = row + (x0 + kx * g.dil_w) * in_c;              \
                                const WT *wk = w0 + (ky * g.k_w + kx) * in_c;                    \
                                for (int32_t ic = 0; ic < in_c; ++ic) {                          \
                                    const float x = px[ic];                                      \
                                    a0 += x * LOAD(wk, ic);                                      \
                                    a1 += x * LOAD(wk, ic + filt_len);                           \
                                    a2 += x * LOAD(wk, ic + 2 * filt_len);                       \
                                    a3 += x * LOAD(wk, ic + 3 * filt_len);                       \
                                }                                                                \
                            }                                                                    \
                        }                                                                        \
                        *out++ = tq_clampf(a0 + p->bias[oc], p->act_min, p->act_max);            \
                        *out++ = tq_clampf(a1 + p->bias[oc + 1], p->act_min, p->act_max);        \
                        *out++ = tq_clampf(a2 + p->bias[oc + 2], p->act_min, p->act_max);        \
                        *out++ = tq_clampf(a3 + p->bias[oc + 3], p->act_min, p->act_max);        \
                    }                                                                            \
                    for (; oc < g.out_c; ++oc) {                                                 \
                        const WT *wc = w + oc * filt_len;                                        \
                        float acc = 0.0f;                                                        \
                        for (int32_t ky = ky0; ky < ky1; ++ky) {                                 \
                            const float *row = in_b + (y0 + ky * g.dil_h) * g.in_w * in_c;       \
                            for (int32_t kx = kx0; kx < kx1; ++kx) {                             \
                                const float *px = row + (x0 + kx * g.dil_w) * in_c;              \
                                const WT *wk = wc + (ky * g.k_w + kx) * in_c;                    \
                                for (int32_t ic = 0; ic < in_c; ++ic) {                          \
                                    acc += px[ic] * LOAD(wk, ic);                                \
                                }                                                                \
                            }                                                                    \
                        }                                                                        \
                        *out++ = tq_clampf(acc + p->bias[oc], p->act_min, p->act_max);           \
                    }                                                                            \
                }                                                                                \
            }                                                                                    \
        }                                                                                        \
    }

#define TQ_DEPTHWISE_CONV_2D(name, WT, LOAD)                                                     \
    void name(const tq_conv_f32_params *p, const float *in, const WT *w, float *out)            \
    {                                                                                            \
        const tq_window g = p->geo;                                                              \
        const int32_t in_c = g.in_c, out_c = g.out_c, mult = p->depth_multiplier;                \
        for (int32_t b = 0; b < g.batches; ++b) {                                                \
            const float *in_b = in + (int32_t)b * g.in_h * g.in_w * in_c;                        \
            for (int32_t oy = 0; oy < g.out_h; ++oy) {                                           \
                const int32_t y0 = oy * g.stride_h - g.pad_h;                                    \
                int32_t ky0, ky1;                                                                \
                tq_tap_range(y0, g.dil_h, g.k_h, g.in_h, &ky0, &ky1);                               \
                for (int32_t ox = 0; ox < g.out_w; ++ox) {                                       \
                    const int32_t x0 = ox * g.stride_w - g.pad_w;                                \
                    int32_t kx0, kx1;                                                            \
                    tq_tap_range(x0, g.dil_w, g.k_w, g.in_w, &kx0, &kx1);                           \
                    for (int32_t oc = 0; oc < out_c; ++oc) {                                     \
                        const int32_t ic = oc / mult;                                            \
                        float acc = 0.0f;                                                        \
                        for (int32_t ky = ky0; ky < ky1; ++ky) {                                 \
                            const float *row = in_b + (y0 + ky * g.dil_h) * g.in_w * in_c + ic;  \
                            const WT *wr = w + ky * g.k_w * out_c + oc;                          \
                            for (int32_t kx = kx0; kx < kx1; ++kx) {                             \
                                acc += row[(x0 + kx * g.dil_w) * in_c] * LOAD(wr, kx * out_c);   \
                            }                                                                    \
                        }                                                                        \
                        *out++ = tq_clampf(acc + p->bias[oc], p->act_min, p->act_max);           \
                    }                                                                            \
                }                                                                                \
            }                                                                                    \
        }                                                                                        \
    }

#define TQ_FULLY_CONNECTED(name, WT, LOAD)                                                       \
    void name(const tq_fc_f32_params *p, const float *in, const WT *w, float *out)              \
    {                                                                                            \
        for (int32_t b = 0; b < p->batches; ++b) {                                               \
            const float *x = in + b * p->in_depth;                                               \
            const int32_t n = p->in_depth;                                                       \
            int32_t o = 0;                                                                       \
            for (; o + 4 <= p->out_depth; o += 4) {     /* four rows per pass over x */         \
                const WT *wr = w + o * n;                                                        \
                float a0 = 0.0f, a1 = 0.0f, a2 = 0.0f, a3 = 0.0f;                                \
                for (int32_t i = 0; i < n; ++i) {                                                \
                    const float v = x[i];                                                        \
                    a0 += v * LOAD(wr, i);                                                       \
                    a1 += v * LOAD(wr, i + n);                                                   \
                    a2 += v * LOAD(wr, i + 2 * n);                                               \
                    a3 += v * LOAD(wr, i + 3 * n);                                               \
                }                                                                                \
                *out++ = tq_clampf(a0 + p->bias[o], p->act_min, p->act_max);                     \
                *out++ = tq_clampf(a1 + p->bias[o + 1], p->act_min, p->act_max);                 \
                *out++ = tq_clampf(a2 + p->bias[o + 2], p->act_min, p->act_max);                 \
                *out++ = tq_clampf(a3 + p->bias[o + 3], p->act_min, p->act_max);                 \
            }                                                                                    \
            for (; o < p->out_depth; ++o) {                                                      \
                const WT *wr = w + o * n;                                                        \
                float acc = 0.0f;                                                                \
                for (int32_t i = 0; i < n; ++i) {                                                \
                    acc += x[i] * LOAD(wr, i);                                                   \
                }                                                                                \
                *out++ = tq_clampf(acc + p->bias[o], p->act_min, p->act_max);                    \
            }                                                                                    \
        }                                                                                        \
    }

#define LOAD_F32(w, i) ((w)[i])
#define LOAD_F16(w, i) tq_h2f((w)[i])

TQ_CONV_2D(tq_conv_2d_f32, float, LOAD_F32)
TQ_CONV_2D(tq_conv_2d_f16w, uint16_t, LOAD_F16)
TQ_DEPTHWISE_CONV_2D(tq_depthwise_conv_2d_f32, float, LOAD_F32)
TQ_DEPTHWISE_CONV_2D(tq_depthwise_conv_2d_f16w, uint16_t, LOAD_F16)
TQ_FULLY_CONNECTED(tq_fully_connected_f32, float, LOAD_F32)
TQ_FULLY_CONNECTED(tq_fully_connected_f16w, uint16_t, LOAD_F16)
