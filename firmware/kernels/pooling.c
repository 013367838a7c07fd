#include "pooling.h"

#include "tq_common.h"

/* The window of output pixel (oy, ox) clipped to the image: [*y0, *y1) x [*x0, *x1). */
static void window(const tq_pool_params *p, int32_t oy, int32_t ox,
                   int32_t *y0, int32_t *y1, int32_t *x0, int32_t *x1)
{
    const int32_t iy = oy * p->stride_h - p->pad_h;
    const int32_t ix = ox * p->stride_w - p->pad_w;
    *y0 = TQ_MAX(iy, 0);
    *y1 = TQ_MIN(iy + p->k_h, p->in_h);
    *x0 = TQ_MAX(ix, 0);
    *x1 = TQ_MIN(ix + p->k_w, p->in_w);
}

void tq_average_pool_2d_s8(const tq_pool_params *p, const int8_t *in, int8_t *out)
{
    const int32_t c_n = p->channels;
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *in_b = in + (int32_t)b * p->in_h * p->in_w * c_n;
        for (int32_t oy = 0; oy < p->out_h; ++oy) {
            for (int32_t ox = 0; ox < p->out_w; ++ox) {
                int32_t y0, y1, x0, x1;
                window(p, oy, ox, &y0, &y1, &x0, &x1);
                const int32_t count = (y1 - y0) * (x1 - x0);
                for (int32_t c = 0; c < c_n; ++c) {
                    int32_t acc = 0;
                    for (int32_t y = y0; y < y1; ++y) {
                        for (int32_t x = x0; x < x1; ++x) {
                            acc += in_b[(y * p->in_w + x) * c_n + c];
                        }
                    }
                    /* count > 0 always: the generator rejects windows entirely in the padding. */
                    acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
                    *out++ = (int8_t)TQ_CLAMP(acc, p->act_min, p->act_max);
                }
            }
        }
    }
}

void tq_max_pool_2d_s8(const tq_pool_params *p, const int8_t *in, int8_t *out)
{
    const int32_t c_n = p->channels;
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *in_b = in + (int32_t)b * p->in_h * p->in_w * c_n;
        for (int32_t oy = 0; oy < p->out_h; ++oy) {
            for (int32_t ox = 0; ox < p->out_w; ++ox) {
                int32_t y0, y1, x0, x1;
                window(p, oy, ox, &y0, &y1, &x0, &x1);
                for (int32_t c = 0; c < c_n; ++c) {
                    int32_t m = -128;
                    for (int32_t y = y0; y < y1; ++y) {
                        for (int32_t x = x0; x < x1; ++x) {
                            m = TQ_MAX(m, (int32_t)in_b[(y * p->in_w + x) * c_n + c]);
                        }
                    }
                    *out++ = (int8_t)TQ_CLAMP(m, p->act_min, p->act_max);
                }
            }
        }
    }
}
