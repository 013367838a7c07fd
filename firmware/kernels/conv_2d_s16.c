#include "conv_2d_s16.h"

#include "tq_common.h"

void tq_conv_2d_s16(const tq_conv_s16_params *p, const int16_t *in, const int8_t *w, int16_t *out)
{
    const tq_window *g = &p->geo;
    const int32_t in_c = g->in_c;
    const int32_t tap_len = (int32_t)g->k_w * in_c;          /* one filter row */
    const int32_t filt_len = (int32_t)g->k_h * tap_len;      /* one output channel's filter */
    int32_t o = 0;
    for (int32_t b = 0; b < g->batches; ++b) {
        const int16_t *in_b = in + b * g->in_h * g->in_w * in_c;
        for (int32_t oy = 0; oy < g->out_h; ++oy) {
            const int32_t y0 = oy * g->stride_h - g->pad_h;
            for (int32_t ox = 0; ox < g->out_w; ++ox) {
                const int32_t x0 = ox * g->stride_w - g->pad_w;
                for (int32_t oc = 0; oc < g->out_c; ++oc) {
                    const int8_t *wc = w + oc * filt_len;
                    int64_t acc = 0;
                    for (int32_t ky = 0; ky < g->k_h; ++ky) {
                        const int32_t y = y0 + ky * g->dil_h;
                        if (y < 0 || y >= g->in_h) {
                            continue;       /* padding: the zero point is 0 */
                        }
                        const int16_t *row = in_b + y * g->in_w * in_c;
                        const int8_t *wr = wc + ky * tap_len;
                        if (g->dil_w == 1 && x0 >= 0 && x0 + g->k_w <= g->in_w) {
                            acc += tq_dot_s16(wr, row + x0 * in_c, tap_len);   /* one contiguous run */
                            continue;
                        }
                        for (int32_t kx = 0; kx < g->k_w; ++kx) {
                            const int32_t x = x0 + kx * g->dil_w;
                            if (x >= 0 && x < g->in_w) {
                                acc += tq_dot_s16(wr + kx * in_c, row + x * in_c, in_c);
                            }
                        }
                    }
                    acc += p->bias[oc];
                    const int32_t v = tq_requantize_s64(acc, p->mult[oc], p->shift[oc]);
                    out[o++] = (int16_t)TQ_CLAMP(v, p->act_min, p->act_max);
                }
            }
        }
    }
}
