#include "depthwise_conv_2d_s16.h"

#include "tq_s16.h"

void tq_depthwise_conv_2d_s16(const tq_dw_s16_params *p, const int16_t *in, const int8_t *w, int16_t *out)
{
    const tq_window *g = &p->geo;
    const int32_t in_c = g->in_c, out_c = g->out_c, dm = p->depth_mult;
    for (int32_t b = 0; b < g->batches; ++b) {
        const int16_t *in_b = in + b * g->in_h * g->in_w * in_c;
        for (int32_t oy = 0; oy < g->out_h; ++oy) {
            const int32_t y0 = oy * g->stride_h - g->pad_h;
            for (int32_t ox = 0; ox < g->out_w; ++ox) {
                const int32_t x0 = ox * g->stride_w - g->pad_w;
                for (int32_t oc = 0; oc < out_c; ++oc) {
                    const int32_t ic = oc / dm;
                    int64_t acc = 0;
                    for (int32_t ky = 0; ky < g->k_h; ++ky) {
                        const int32_t y = y0 + ky * g->dil_h;
                        if (y < 0 || y >= g->in_h) {
                            continue;
                        }
                        for (int32_t kx = 0; kx < g->k_w; ++kx) {
                            const int32_t x = x0 + kx * g->dil_w;
                            if (x >= 0 && x < g->in_w) {
                                acc += (int32_t)w[(ky * g->k_w + kx) * out_c + oc] *
                                       (int32_t)in_b[(y * g->in_w + x) * in_c + ic];
                            }
                        }
                    }
                    acc += p->bias[oc];
                    const int32_t v = tq_requantize_s64(acc, p->mult[oc], p->shift[oc]);
                    *out++ = (int16_t)TQ_CLAMP(v, p->act_min, p->act_max);
                }
            }
        }
    }
}
