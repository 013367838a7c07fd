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
    static const int8_t ones[4] = {1, 1, 1, 1};   /* no per-channel scale: every channel's is 1 */
    const int32_t per_channel = p->scale && !p->pk_base;   /* packed: scale holds the shifts */
    const int8_t *scale = per_channel ? p->scale : ones;
    const int32_t sstep = per_channel ? 4 : 0;
    int32_t *w16 = (int32_t *)scratch;
    int32_t *wp = w16;
    for (int32_t b = 0; b < blocks; ++b, scale += sstep) {
        /* w * 2^s fits int16: the generator checked |w| << s <= 32767 */
        const int32_t m0 = 1 << scale[0], m1 = 1 << scale[1], m2 = 1 << scale[2], m3 = 1 << scale[3];
        for (int32_t t = 0; t < taps; ++t, w += 4, wp += 2) {
            wp[0] = tq_dw8_pack(w[0] * m0, w[2] * m2);
            wp[1] = tq_dw8_pack(w[1] * m1, w[3] * m3);
        }
    }
    if (!p->pk_base) {
        tq_depthwise_conv_2d_dsp_s8(p, in, w16, out, wp);
        return;
    }
    /* packed: the tq_rq rows rebuilt into scratch, which the dsp kernel then reads */
    const int32_t out_c = p->geo.out_c, base = p->pk_base, step = p->pk_one ? 0 : 1;
    const int32_t *pk = (const int32_t *)(const void *)p->rq;
    const uint8_t *rs8 = (const uint8_t *)p->scale;   /* 5 bytes a channel: the shifts */
    tq_rq *rows = (tq_rq *)wp;
    for (int32_t c = 0; c < out_c; ++c, pk += step) {
        const uint32_t wd = (uint32_t)*pk;
        const int32_t rs = rs8 ? rs8[c] : base + (int32_t)(wd >> 30);
        rows[c].mult = (int32_t)((wd & 0x3FFFFFFFu) | 0x40000000u);
        rows[c].add = (int32_t)(((uint32_t)p->output_offset * 2u + 1u) << (rs - 1));
        rows[c].rs = rs;
    }
    tq_dw_dsp_params q = *p;
    q.rq = rows;
    tq_depthwise_conv_2d_dsp_s8(&q, in, w16, out, wp + 2 * ((3 * out_c + 1) / 2));
}
