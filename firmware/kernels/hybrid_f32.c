#include "hybrid_f32.h"

#include "tq_f32.h"

/* round(v) half away from zero (TfLiteRound), given v2 = 2 * v (exact: a power-of-two scale; the
 * values here are far from overflow),
 * for |v2| well inside int32: with a = |v|, floor(a + 1/2) = floor((floor(2a) + 1) / 2), so one
 * truncating conversion and integer steps (C's division truncates toward zero, which gives the
 * sign back), no float compares. Checked equal to the float form on every third float bit pattern
 * of (-300, 300) and around every tie there. */
static inline int32_t round_away_twice(float v2)
{
    const int32_t t = (int32_t)v2;         /* truncates toward zero */
    return (t + (t < 0 ? -1 : 1)) / 2;
}

static inline double absd(double v)
{
    return v < 0 ? -v : v;
}

float tq_quantize_input(const float *x, int32_t n, int asymmetric, int8_t *q, int32_t *zero_point)
{
    float lo = x[0], hi = x[0];
    for (int32_t i = 1; i < n; ++i) {
        lo = x[i] < lo ? x[i] : lo;
        hi = x[i] > hi ? x[i] : hi;
    }
    *zero_point = 0;
    if (!asymmetric) {
        const float range = TQ_MAX(lo < 0 ? -lo : lo, hi < 0 ? -hi : hi);
        if (range == 0.0f) {
            for (int32_t i = 0; i < n; ++i) {
                q[i] = 0;
            }
            return 1.0f;
        }
        const float inv = 127.0f / range;
        for (int32_t i = 0; i < n; ++i) {
            q[i] = (int8_t)TQ_CLAMP(round_away_twice((x[i] * inv) * 2.0f), -127, 127);
        }
        return range / 127.0f;
    }
    const double rmin = lo < 0.0f ? (double)lo : 0.0, rmax = hi > 0.0f ? (double)hi : 0.0;
    if (rmin == rmax) {
        for (int32_t i = 0; i < n; ++i) {
            q[i] = 0;
        }
        return 1.0f;
    }
    const double scale = (rmax - rmin) / 255.0;
    const double zp_min = -128.0 - rmin / scale, zp_max = 127.0 - rmax / scale;
    const double zp = (128.0 + absd(rmin / scale)) < (127.0 + absd(rmax / scale)) ? zp_min : zp_max;
    int32_t nudged;
    if (zp <= -128.0) {
        nudged = -128;
    } else if (zp >= 127.0) {
        nudged = 127;
    } else {
        nudged = (int32_t)(zp < 0 ? zp - 0.5 : zp + 0.5);   /* round() of a double, halves away */
    }
    const float fscale = (float)scale;
    const float inv = (float)(1.0 / (double)fscale);
    for (int32_t i = 0; i < n; ++i) {
        q[i] = (int8_t)TQ_CLAMP(round_away_twice(((float)nudged + x[i] * inv) * 2.0f), -128, 127);
    }
    *zero_point = nudged;
    return fscale;
}

void tq_fully_connected_hybrid(const tq_fc_hybrid_params *p, const float *in, const int8_t *w, float *out,
                               int8_t *scratch)
{
    for (int32_t b = 0; b < p->batches; ++b) {
        int32_t zp;
        const float scale = tq_quantize_input(in + b * p->in_depth, p->in_depth, p->asymmetric, scratch, &zp);
        for (int32_t o = 0; o < p->out_depth; ++o) {
            const int8_t *wr = w + o * p->in_depth;
            int32_t acc = 0;
            for (int32_t i = 0; i < p->in_depth; ++i) {
                acc += (int32_t)scratch[i] * wr[i];
            }
            acc -= p->row_sum[o] * zp;
            *out++ = tq_clampf(p->bias[o] + (float)acc * (scale * p->wscale[o]), p->act_min, p->act_max);
        }
    }
}

static void conv_hybrid(const tq_conv_hybrid_params *p, const float *in, const int8_t *w, float *out,
                        int8_t *scratch, int depthwise)
{
    const tq_window g = p->geo;
    const int32_t in_c = g.in_c, out_c = g.out_c;
    const int32_t image = (int32_t)g.in_h * g.in_w * in_c;
    const int32_t filt_len = (int32_t)g.k_h * g.k_w * in_c;
    for (int32_t b = 0; b < g.batches; ++b) {
        int32_t zp;
        const float scale = tq_quantize_input(in + b * image, image, p->asymmetric, scratch, &zp);
        for (int32_t oy = 0; oy < g.out_h; ++oy) {
            const int32_t y0 = oy * g.stride_h - g.pad_h;
            int32_t ky0, ky1;
            tq_tap_range(y0, g.dil_h, g.k_h, g.in_h, &ky0, &ky1);
            for (int32_t ox = 0; ox < g.out_w; ++ox) {
                const int32_t x0 = ox * g.stride_w - g.pad_w;
                int32_t kx0, kx1;
                tq_tap_range(x0, g.dil_w, g.k_w, g.in_w, &kx0, &kx1);
                for (int32_t oc = 0; oc < out_c; ++oc) {
                    int32_t acc = 0;
                    for (int32_t ky = ky0; ky < ky1; ++ky) {
                        const int8_t *row = scratch + (y0 + ky * g.dil_h) * g.in_w * in_c;
                        for (int32_t kx = kx0; kx < kx1; ++kx) {
                            const int8_t *px = row + (x0 + kx * g.dil_w) * in_c;
                            if (depthwise) {
                                const int32_t v = px[oc / p->depth_multiplier] - zp;
                                acc += v * w[(ky * g.k_w + kx) * out_c + oc];
                            } else {
                                const int8_t *wk = w + oc * filt_len + (ky * g.k_w + kx) * in_c;
                                for (int32_t ic = 0; ic < in_c; ++ic) {
                                    acc += ((int32_t)px[ic] - zp) * wk[ic];
                                }
                            }
                        }
                    }
                    *out++ = tq_clampf((float)acc * (p->wscale[oc] * scale) + p->bias[oc], p->act_min, p->act_max);
                }
            }
        }
    }
}

void tq_conv_2d_hybrid(const tq_conv_hybrid_params *p, const float *in, const int8_t *w, float *out, int8_t *scratch)
{
    conv_hybrid(p, in, w, out, scratch, 0);
}

void tq_depthwise_conv_2d_hybrid(const tq_conv_hybrid_params *p, const float *in, const int8_t *w, float *out,
                                 int8_t *scratch)
{
    conv_hybrid(p, in, w, out, scratch, 1);
}
