#include "pool_f32.h"

#include "tq_f32.h"

static void pool(const tq_pool_f32_params *p, const float *in, float *out, int is_max)
{
    const tq_window g = p->geo;
    const int32_t c = g.in_c;
    for (int32_t b = 0; b < g.batches; ++b) {
        const float *in_b = in + (int32_t)b * g.in_h * g.in_w * c;
        for (int32_t oy = 0; oy < g.out_h; ++oy) {
            const int32_t y0 = oy * g.stride_h - g.pad_h;
            const int32_t ky0 = TQ_MAX(0, -y0), ky1 = TQ_MIN(g.k_h, g.in_h - y0);
            for (int32_t ox = 0; ox < g.out_w; ++ox) {
                const int32_t x0 = ox * g.stride_w - g.pad_w;
                const int32_t kx0 = TQ_MAX(0, -x0), kx1 = TQ_MIN(g.k_w, g.in_w - x0);
                const float n = (float)((ky1 - ky0) * (kx1 - kx0));
                for (int32_t ch = 0; ch < c; ++ch) {
                    float acc = is_max ? -(1.0f / 0.0f) : 0.0f;
                    for (int32_t ky = ky0; ky < ky1; ++ky) {
                        const float *row = in_b + ((y0 + ky) * g.in_w + x0) * c + ch;
                        for (int32_t kx = kx0; kx < kx1; ++kx) {
                            const float v = row[kx * c];
                            if (is_max) {
                                acc = v > acc ? v : acc;
                            } else {
                                acc += v;
                            }
                        }
                    }
                    *out++ = tq_clampf(is_max ? acc : acc / n, p->act_min, p->act_max);
                }
            }
        }
    }
}

void tq_avg_pool_f32(const tq_pool_f32_params *p, const float *in, float *out)
{
    pool(p, in, out, 0);
}

void tq_max_pool_f32(const tq_pool_f32_params *p, const float *in, float *out)
{
    pool(p, in, out, 1);
}

/* Offset of multi-index `idx` over (size, stride) groups; advances idx like an odometer and
 * returns 0 once it wrapped around. */
static int next_index(int32_t n, const int32_t *size, int32_t *idx)
{
    for (int32_t d = n - 1; d >= 0; --d) {
        if (++idx[d] < size[d]) {
            return 1;
        }
        idx[d] = 0;
    }
    return 0;
}

static int32_t offset_of(int32_t n, const int32_t *stride, const int32_t *idx)
{
    int32_t off = 0;
    for (int32_t d = 0; d < n; ++d) {
        off += idx[d] * stride[d];
    }
    return off;
}

void tq_mean_f32(const tq_mean_f32_params *p, const float *in, float *out)
{
    int32_t kept[TQ_MEAN_F32_DIMS] = {0};
    do {
        const float *base = in + offset_of(p->n_kept, p->kept_stride, kept);
        int32_t red[TQ_MEAN_F32_DIMS] = {0};
        float acc = 0.0f;
        do {
            acc += base[offset_of(p->n_red, p->red_stride, red)];
        } while (next_index(p->n_red, p->red_size, red));
        *out++ = acc / p->count;
    } while (next_index(p->n_kept, p->kept_size, kept));
}

void tq_softmax_f32(const tq_softmax_f32_params *p, const float *in, float *out)
{
    for (int32_t r = 0; r < p->rows; ++r) {
        const float *x = in + r * p->depth;
        float *y = out + r * p->depth;
        float mx = x[0];
        for (int32_t i = 1; i < p->depth; ++i) {
            mx = x[i] > mx ? x[i] : mx;
        }
        float sum = 0.0f;
        for (int32_t i = 0; i < p->depth; ++i) {
            y[i] = tq_expf((x[i] - mx) * p->beta);
            sum += y[i];
        }
        const float inv = 1.0f / sum;
        for (int32_t i = 0; i < p->depth; ++i) {
            y[i] *= inv;
        }
    }
}
