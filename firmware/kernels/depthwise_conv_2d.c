#include "depthwise_conv_2d.h"

#include "tq_common.h"

void tq_depthwise_conv_2d_s8(const tq_dw_params *p, const int8_t *in, const int8_t *w, int8_t *out)
{
    const int32_t in_c = p->in_c;
    const int32_t out_c = p->out_c;
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *in_b = in + (int32_t)b * p->in_h * p->in_w * in_c;
        for (int32_t oy = 0; oy < p->out_h; ++oy) {
            const int32_t y0 = oy * p->stride_h - p->pad_h;
            for (int32_t ox = 0; ox < p->out_w; ++ox) {
                const int32_t x0 = ox * p->stride_w - p->pad_w;
                const int interior = y0 >= 0 && x0 >= 0 &&
                                     y0 + (p->k_h - 1) * p->dil_h < p->in_h &&
                                     x0 + (p->k_w - 1) * p->dil_w < p->in_w;
                /* output channel oc = ic * depth_mult + m, in memory order, without a division */
                for (int32_t oc = 0, ic = 0, m = 0; oc < out_c; ++oc) {
                    int32_t acc;
                    if (interior) {
                        acc = p->bias_full[oc];
                        for (int32_t ky = 0; ky < p->k_h; ++ky) {
                            const int8_t *row = in_b + ((y0 + ky * p->dil_h) * p->in_w + x0) * in_c + ic;
                            const int8_t *wr = w + ky * p->k_w * out_c + oc;
                            for (int32_t kx = 0; kx < p->k_w; ++kx) {
                                acc += (int32_t)wr[kx * out_c] * (int32_t)row[kx * p->dil_w * in_c];
                            }
                        }
                    } else {
                        acc = p->bias[oc];
                        for (int32_t ky = 0; ky < p->k_h; ++ky) {
                            const int32_t y = y0 + ky * p->dil_h;
                            if (y < 0 || y >= p->in_h) {
                                continue;
                            }
                            for (int32_t kx = 0; kx < p->k_w; ++kx) {
                                const int32_t x = x0 + kx * p->dil_w;
                                if (x < 0 || x >= p->in_w) {
                                    continue;
                                }
                                const int32_t v = in_b[(y * p->in_w + x) * in_c + ic];
                                acc += (int32_t)w[(ky * p->k_w + kx) * out_c + oc] * (v + p->input_offset);
                            }
                        }
                    }
                    acc = tq_requantize(acc, p->mult[oc], p->shift[oc]) + p->output_offset;
                    *out++ = (int8_t)TQ_CLAMP(acc, p->act_min, p->act_max);
                    if (++m == p->depth_mult) {
                        m = 0;
                        ++ic;
                    }
                }
            }
        }
    }
}
