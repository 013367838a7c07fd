#include "depthwise_conv_2d_dsp8.h"

#include "tq_common.h"

/* Two int16 values (already in range) as one word, lo in the low halfword. */
static inline int32_t tq_dw8_pack(int32_t lo, int32_t hi)
{
    return (int32_t)(((uint32_t)(uint16_t)(int16_t)lo) | ((uint32_t)(uint16_t)(int16_t)hi << 16));
}

void tq_depthwise_conv_2d_dsp8_s8(const tq_dw_dsp_params *restrict p, const int8_t *in, const int8_t *w,
                                  int8_t *out, void *scratch)
{
    const int32_t taps = p->geo.k_h * p->geo.k_w, blocks = (p->geo.in_c + 3) / 4;
    const int8_t *scale = p->scale;
    int32_t *w16 = (int32_t *)scratch;
    int32_t *wp = w16;
    for (int32_t b = 0; b < blocks; ++b, scale += 4) {
        /* w * 2^s fits int16: the generator checked |w| << s <= 32767 */
        const int32_t m0 = 1 << scale[0], m1 = 1 << scale[1], m2 = 1 << scale[2], m3 = 1 << scale[3];
        for (int32_t t = 0; t < taps; ++t, w += 4, wp += 2) {
            wp[0] = tq_dw8_pack(w[0] * m0, w[2] * m2);
            wp[1] = tq_dw8_pack(w[1] * m1, w[3] * m3);
        }
    }
    tq_depthwise_conv_2d_dsp_s8(p, in, w16, out, wp);
}
