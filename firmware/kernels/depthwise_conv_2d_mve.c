#include "depthwise_conv_2d_mve.h"

#include "tq_common.h"
#include "tq_mve.h"

/* Every window walks a table of its valid taps: the input and weight offsets (bytes) of each. */
#define TQ_DW_MVE_TAPS 64

/* acc[j] += sum over the taps t of wk[tap_w[t] + j] * (px[tap_in[t] + j] + off), j < n <= 8.
 * MVE: the 8 channels as int16 lanes (a widening load each; x + off stays within int16), the
 * products widened to int32 by VMULLB/VMULLT (even and odd channels), stored back interleaved. */
static inline void taps8(const int8_t *px, const int8_t *wk, const int32_t *tap_in, const int32_t *tap_w,
                         int32_t taps, int32_t n, int32_t off, int32_t acc[8])
{
#ifdef TQ_HAVE_MVE
    int32x4x2_t a = vld2q_s32(acc);   /* val[0]: channels 0, 2, 4, 6; val[1]: 1, 3, 5, 7 */
    if (n == 8 && off == 0) {
        for (int32_t t = 0; t < taps; ++t) {
            const int16x8_t vx = vldrbq_s16(px + tap_in[t]), vw = vldrbq_s16(wk + tap_w[t]);
            a.val[0] = vaddq_s32(a.val[0], vmullbq_int_s16(vx, vw));
            a.val[1] = vaddq_s32(a.val[1], vmulltq_int_s16(vx, vw));
        }
    } else {
        /* lanes past the last channel load 0 (and get off added): their weights are 0 */
        const mve_pred16_t pr = vctp16q((uint32_t)n);
        for (int32_t t = 0; t < taps; ++t) {
            const int16x8_t vx = vaddq_n_s16(vldrbq_z_s16(px + tap_in[t], pr), (int16_t)off);
            const int16x8_t vw = vldrbq_z_s16(wk + tap_w[t], pr);
            a.val[0] = vaddq_s32(a.val[0], vmullbq_int_s16(vx, vw));
            a.val[1] = vaddq_s32(a.val[1], vmulltq_int_s16(vx, vw));
        }
    }
    vst2q_s32(acc, a);
#else
    for (int32_t t = 0; t < taps; ++t) {
        for (int32_t j = 0; j < n; ++j) {
            acc[j] += (int32_t)wk[tap_w[t] + j] * ((int32_t)px[tap_in[t] + j] + off);
        }
    }
#endif
}

/* The valid taps of the window at (y0, x0): their input offsets (from the image's first pixel;
 * for the window at the origin, from the window's) and their weight offsets. Returns how many. */
static int32_t valid_taps(const tq_dw_params *p, int32_t y0, int32_t x0, int32_t *tap_in, int32_t *tap_w)
{
    const int32_t ch = p->geo.in_c;
    int32_t n = 0;
    for (int32_t ky = 0; ky < p->geo.k_h; ++ky) {
        const int32_t y = y0 + ky * p->geo.dil_h;
        for (int32_t kx = 0; y >= 0 && y < p->geo.in_h && kx < p->geo.k_w; ++kx) {
            const int32_t x = x0 + kx * p->geo.dil_w;
            if (x >= 0 && x < p->geo.in_w) {
                tap_in[n] = (y * p->geo.in_w + x) * ch;
                tap_w[n++] = (ky * p->geo.k_w + kx) * ch;
            }
        }
    }
    return n;
}

/* One output pixel, its taps in the tables: every channel, 8 at a time. */
static void pixel(const tq_dw_params *p, const int8_t *px, const int8_t *w, const int32_t *tap_in,
                  const int32_t *tap_w, int32_t taps, int32_t off, const int32_t *bias, int8_t *out)
{
    const int32_t ch = p->geo.in_c;
    int32_t acc[8];
    for (int32_t c = 0; c < ch; c += 8) {
        const int32_t n = TQ_MIN(8, ch - c);
        for (int32_t j = 0; j < 8; ++j) {
            acc[j] = j < n ? bias[c + j] : 0;
        }
        taps8(px + c, w + c, tap_in, tap_w, taps, n, off, acc);
        tq_mve_requant4(acc, p->mult + c, p->shift + c, TQ_MIN(n, 4), p->output_offset, p->act_min, p->act_max,
                        out + c);
        if (n > 4) {
            tq_mve_requant4(acc + 4, p->mult + c + 4, p->shift + c + 4, n - 4, p->output_offset, p->act_min,
                            p->act_max, out + c + 4);
        }
    }
}

void tq_depthwise_conv_2d_mve_s8(const tq_dw_params *p, const int8_t *in, const int8_t *w, int8_t *out)
{
    const int32_t ch = p->geo.in_c;
    int32_t in_full[TQ_DW_MVE_TAPS], w_full[TQ_DW_MVE_TAPS], in_part[TQ_DW_MVE_TAPS], w_part[TQ_DW_MVE_TAPS];
    /* the whole filter's taps, for the windows with no padding tap (from a window at the origin) */
    const int32_t k_taps = valid_taps(p, 0, 0, in_full, w_full);
    for (int32_t b = 0; b < p->geo.batches; ++b) {
        const int8_t *in_b = in + (int32_t)b * p->geo.in_h * p->geo.in_w * ch;
        for (int32_t oy = 0; oy < p->geo.out_h; ++oy) {
            const int32_t y0 = oy * p->geo.stride_h - p->geo.pad_h;
            for (int32_t ox = 0; ox < p->geo.out_w; ++ox, out += ch) {
                const int32_t x0 = ox * p->geo.stride_w - p->geo.pad_w;
                const int interior = y0 >= 0 && x0 >= 0 &&
                                     y0 + (p->geo.k_h - 1) * p->geo.dil_h < p->geo.in_h &&
                                     x0 + (p->geo.k_w - 1) * p->geo.dil_w < p->geo.in_w;
                if (interior) {
                    /* no tap is padding: the input offset term is in bias_full */
                    pixel(p, in_b + (y0 * p->geo.in_w + x0) * ch, w, in_full, w_full, k_taps, 0, p->bias_full, out);
                } else {
                    const int32_t taps = valid_taps(p, y0, x0, in_part, w_part);
                    pixel(p, in_b, w, in_part, w_part, taps, p->input_offset, p->bias, out);
                }
            }
        }
    }
}
