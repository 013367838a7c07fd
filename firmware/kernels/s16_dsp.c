#include "s16_dsp.h"

#include <stdint.h>
#include <string.h>

#include "tq_dsp.h"

enum { RUN_PAIRS = 255 };   /* 510 products of |x * w| <= 2^22 stay below 2^31 */

/* Channel c's requantized value of an accumulator without its bias. */
static inline int32_t rq16(const tq_rq16_layer *q, int32_t c, int64_t acc)
{
    if (q->fast) {
        const tq_rq16_fast *f = &q->fq[c];
        return tq_smmlar((int32_t)((uint32_t)((int32_t)acc + q->bias32[c]) << f->pre), f->m32, f->add);
    }
    return (int32_t)(((acc + q->bias[c]) * q->rq[c].reduced + q->round[c]) >> q->rq[c].total_shift);
}

static inline int16_t store16(int32_t v, int32_t lo, int32_t hi)
{
    return (int16_t)TQ_CLAMP(v, lo, hi);
}

/* acc[0..3] += sum over `pairs` word pairs of x and the four weight rows w, w + stride, ... */
static inline void dot4(const int16_t *x, const int16_t *w, int32_t stride, int32_t pairs, int32_t acc[4])
{
    const int16_t *w1 = w + stride, *w2 = w1 + stride, *w3 = w2 + stride;
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    for (int32_t i = 0; i < pairs; ++i, x += 2, w += 2, w1 += 2, w2 += 2, w3 += 2) {
        const int32_t xv = tq_read_s32(x);
        a0 = tq_smlad(xv, tq_read_s32(w), a0);
        a1 = tq_smlad(xv, tq_read_s32(w1), a1);
        a2 = tq_smlad(xv, tq_read_s32(w2), a2);
        a3 = tq_smlad(xv, tq_read_s32(w3), a3);
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}

static inline int32_t dot1(const int16_t *x, const int16_t *w, int32_t pairs)
{
    int32_t a = 0;
    for (int32_t i = 0; i < pairs; ++i, x += 2, w += 2) {
        a = tq_smlad(tq_read_s32(x), tq_read_s32(w), a);
    }
    return a;
}

static inline int32_t fast_rq(const tq_rq16_fast *f, int32_t x)
{
    return tq_smmlar((int32_t)((uint32_t)x << f->pre), f->m32, f->add);
}

/* Two int16 pairs (8 bytes, 4-byte aligned) from *p, advancing it: one LDRD on the device. */
static inline void ld2(const int16_t **p, int32_t *a, int32_t *b)
{
#ifdef TQ_HAVE_DSP
    __asm__("ldrd %0, %1, [%2], #8" : "=r"(*a), "=r"(*b), "+r"(*p) : "m"(*(const tq_2x32 *)(const void *)*p));
#else
    memcpy(a, *p, 4);
    memcpy(b, *p + 2, 4);
    *p += 4;
#endif
}

/* The fast form: int32 accumulators that start at the bias, one SMMLAR per output. Rows and
 * x are 4-byte aligned (even lengths, aligned tensors and constants), so two pairs at a time
 * come in one LDRD per row: 16 MACs per 5 loads and 8 SMLADs. */
static void matvec_fast(const int16_t *x, const int16_t *w16, int32_t len, int32_t channels,
                        const tq_rq16_layer *q, int32_t lo, int32_t hi, int16_t *out)
{
    const int32_t pairs = len / 2;
    const int32_t *bias = q->bias32;
    const tq_rq16_fast *fq = q->fq;
    int32_t c = 0;
    for (; c + 4 <= channels; c += 4) {
        const int16_t *w0 = w16 + c * len, *w1 = w0 + len, *w2 = w1 + len, *w3 = w2 + len;
        const int16_t *xp = x;
        /* LDRD needs word alignment: x may be a view at any even offset, then single loads */
        const int16_t *const x_end = ((uintptr_t)x & 3) ? x : x + 2 * (pairs & ~1);
        int32_t a0 = bias[c], a1 = bias[c + 1], a2 = bias[c + 2], a3 = bias[c + 3];
        while (xp != x_end) {
            int32_t x0, x1, u, v;
            ld2(&xp, &x0, &x1);
            ld2(&w0, &u, &v);
            a0 = tq_smlad(x1, v, tq_smlad(x0, u, a0));
            ld2(&w1, &u, &v);
            a1 = tq_smlad(x1, v, tq_smlad(x0, u, a1));
            ld2(&w2, &u, &v);
            a2 = tq_smlad(x1, v, tq_smlad(x0, u, a2));
            ld2(&w3, &u, &v);
            a3 = tq_smlad(x1, v, tq_smlad(x0, u, a3));
        }
        for (; xp != x + 2 * pairs; xp += 2, w0 += 2, w1 += 2, w2 += 2, w3 += 2) {
            const int32_t xv = tq_read_s32(xp);
            a0 = tq_smlad(xv, tq_read_s32(w0), a0);
            a1 = tq_smlad(xv, tq_read_s32(w1), a1);
            a2 = tq_smlad(xv, tq_read_s32(w2), a2);
            a3 = tq_smlad(xv, tq_read_s32(w3), a3);
        }
        out[c] = store16(fast_rq(&fq[c], a0), lo, hi);
        out[c + 1] = store16(fast_rq(&fq[c + 1], a1), lo, hi);
        out[c + 2] = store16(fast_rq(&fq[c + 2], a2), lo, hi);
        out[c + 3] = store16(fast_rq(&fq[c + 3], a3), lo, hi);
    }
    for (; c < channels; ++c) {
        out[c] = store16(fast_rq(&fq[c], bias[c] + dot1(x, w16 + c * len, pairs)), lo, hi);
    }
}

/* out[c] for every channel of one row x (len int16, even) against w16 rows of len. */
static void matvec(const int16_t *x, const int16_t *w16, int32_t len, int32_t channels, int16_t wide,
                   const tq_rq16_layer *q, int32_t lo, int32_t hi, int16_t *out)
{
    if (q->fast) {
        matvec_fast(x, w16, len, channels, q, lo, hi, out);
        return;
    }
    const int32_t pairs = len / 2;
    int32_t c = 0;
    for (; c + 4 <= channels; c += 4) {
        const int16_t *wc = w16 + c * len;
        int64_t s[4] = {0, 0, 0, 0};
        if (!wide) {
            int32_t acc[4] = {0, 0, 0, 0};
            dot4(x, wc, len, pairs, acc);
            for (int k = 0; k < 4; ++k) {
                s[k] += acc[k];
            }
        } else {
            for (int32_t done = 0; done < pairs; done += RUN_PAIRS) {
                const int32_t n = pairs - done < RUN_PAIRS ? pairs - done : RUN_PAIRS;
                int32_t acc[4] = {0, 0, 0, 0};
                dot4(x + 2 * done, wc + 2 * done, len, n, acc);
                for (int k = 0; k < 4; ++k) {
                    s[k] += acc[k];
                }
            }
        }
        for (int k = 0; k < 4; ++k) {
            out[c + k] = store16(rq16(q, c + k, s[k]), lo, hi);
        }
    }
    for (; c < channels; ++c) {
        const int16_t *wc = w16 + c * len;
        int64_t s = 0;
        for (int32_t done = 0; done < pairs; done += RUN_PAIRS) {
            const int32_t n = pairs - done < RUN_PAIRS ? pairs - done : RUN_PAIRS;
            s += dot1(x + 2 * done, wc + 2 * done, n);
        }
        out[c] = store16(rq16(q, c, s), lo, hi);
    }
}

void tq_conv_2d_dsp_s16(const tq_conv_dsp_s16_params *p, const int16_t *in, const int16_t *w16,
                        int16_t *out, int16_t *scratch)
{
    const tq_window geo = p->geo;      /* locals: the int16 stores could alias the struct's fields */
    const tq_window *g = &geo;
    const tq_rq16_layer q = p->q;
    const int32_t lo = p->act_min, hi = p->act_max;
    const int16_t direct = p->direct, wide_acc = p->wide;
    const int32_t in_c = g->in_c, out_c = g->out_c, len = p->col_len;
    const int32_t run = (int32_t)g->k_w * in_c;       /* one window row, contiguous without dilation */
    for (int32_t b = 0; b < g->batches; ++b) {
        const int16_t *in_b = in + b * g->in_h * g->in_w * in_c;
        for (int32_t oy = 0; oy < g->out_h; ++oy) {
            const int32_t y0 = oy * g->stride_h - g->pad_h;
            for (int32_t ox = 0; ox < g->out_w; ++ox, out += out_c) {
                const int32_t x0 = ox * g->stride_w - g->pad_w;
                const int16_t *col = scratch;
                if (direct) {
                    col = in_b + (y0 * g->in_w + x0) * in_c;
                } else {
                    int16_t *dst = scratch;
                    for (int32_t ky = 0; ky < g->k_h; ++ky, dst += run) {
                        const int32_t y = y0 + ky * g->dil_h;
                        if (y < 0 || y >= g->in_h) {
                            memset(dst, 0, (size_t)run * sizeof *dst);
                            continue;
                        }
                        const int16_t *row = in_b + y * g->in_w * in_c;
                        if (g->dil_w == 1 && x0 >= 0 && x0 + g->k_w <= g->in_w) {
                            memcpy(dst, row + x0 * in_c, (size_t)run * sizeof *dst);
                            continue;
                        }
                        for (int32_t kx = 0; kx < g->k_w; ++kx) {
                            const int32_t x = x0 + kx * g->dil_w;
                            if (x >= 0 && x < g->in_w) {
                                memcpy(dst + kx * in_c, row + x * in_c, (size_t)in_c * sizeof *dst);
                            } else {
                                memset(dst + kx * in_c, 0, (size_t)in_c * sizeof *dst);
                            }
                        }
                    }
                    if (len > run * g->k_h) {
                        scratch[len - 1] = 0;   /* the even-length pad */
                    }
                }
                matvec(col, w16, len, out_c, wide_acc, &q, lo, hi, out);
            }
        }
    }
}

void tq_fully_connected_dsp_s16(const tq_fc_dsp_s16_params *p, const int16_t *in, const int16_t *w16,
                                int16_t *out, int16_t *scratch)
{
    for (int32_t b = 0; b < p->batches; ++b, in += p->in_depth, out += p->out_depth) {
        const int16_t *row = in;
        if (p->row_len != p->in_depth) {
            memcpy(scratch, in, (size_t)p->in_depth * sizeof *scratch);
            scratch[p->in_depth] = 0;
            row = scratch;
        }
        matvec(row, w16, p->row_len, p->out_depth, p->wide, &p->q, p->act_min, p->act_max, out);
    }
}

/* Per output pixel: the window clipped to the image once, then four channels at a time over its
 * taps (two SMLABB/SMLATT pairs per tap on the channels' int16 pairs), then pairs, then one. */
/* The requantization of channel c: `fast` is a constant in each specialised copy of dw_body. */
static inline __attribute__((always_inline)) int32_t rq_of(const tq_rq16_layer *q, int fast, int32_t c, int32_t acc)
{
    if (fast) {
        return fast_rq(&q->fq[c], acc + q->bias32[c]);
    }
    return (int32_t)(((acc + q->bias[c]) * q->rq[c].reduced + q->round[c]) >> q->rq[c].total_shift);
}

static inline __attribute__((always_inline)) void dw_body(const tq_dw_dsp_s16_params *p, const int16_t *in,
                                                          const int16_t *w16, int16_t *out, const int fast)
{
    /* the geometry in locals: the int16 output stores could alias the int16 struct fields */
    const tq_window g = p->geo;
    const tq_rq16_layer q = p->q;
    const int32_t lo = p->act_min, hi = p->act_max;
    const int32_t c_n = g.in_c, c_pad = (c_n + 1) & ~1, in_w = g.in_w, k_w = g.k_w;
    const int32_t x_step = g.dil_w * c_n, y_step = g.dil_h * in_w * c_n, w_row = k_w * c_pad;
    for (int32_t b = 0; b < g.batches; ++b) {
        const int16_t *in_b = in + b * g.in_h * in_w * c_n;
        for (int32_t oy = 0; oy < g.out_h; ++oy) {
            const int32_t y0 = oy * g.stride_h - g.pad_h;
            int32_t ky0, ky1;
            tq_tap_range(y0, g.dil_h, g.k_h, g.in_h, &ky0, &ky1);
            for (int32_t ox = 0; ox < g.out_w; ++ox, out += c_n) {
                const int32_t x0 = ox * g.stride_w - g.pad_w;
                int32_t kx0, kx1;
                tq_tap_range(x0, g.dil_w, k_w, in_w, &kx0, &kx1);
                const int32_t nx = kx1 - kx0, ny = ky1 - ky0;
                const int16_t *base = in_b + ((y0 + ky0 * g.dil_h) * in_w + x0 + kx0 * g.dil_w) * c_n;
                const int16_t *wbase = w16 + ky0 * w_row + kx0 * c_pad;
                int32_t c = 0;
                for (; c + 4 <= c_n; c += 4) {
                    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
                    const int16_t *xr = base + c, *wr = wbase + c;
                    for (int32_t ky = 0; ky < ny; ++ky, xr += y_step, wr += w_row) {
                        const int16_t *xp = xr, *wp = wr;
                        for (int32_t k = 0; k < nx; ++k, xp += x_step, wp += c_pad) {
                            const int32_t x01 = tq_read_s32(xp), x23 = tq_read_s32(xp + 2);
                            const int32_t w01 = tq_read_s32(wp), w23 = tq_read_s32(wp + 2);
                            a0 = tq_smlabb(x01, w01, a0);
                            a1 = tq_smlatt(x01, w01, a1);
                            a2 = tq_smlabb(x23, w23, a2);
                            a3 = tq_smlatt(x23, w23, a3);
                        }
                    }
                    out[c] = store16(rq_of(&q, fast, c, a0), lo, hi);
                    out[c + 1] = store16(rq_of(&q, fast, c + 1, a1), lo, hi);
                    out[c + 2] = store16(rq_of(&q, fast, c + 2, a2), lo, hi);
                    out[c + 3] = store16(rq_of(&q, fast, c + 3, a3), lo, hi);
                }
                for (; c < c_n; ++c) {
                    int32_t a = 0;
                    const int16_t *xr = base + c, *wr = wbase + c;
                    for (int32_t ky = 0; ky < ny; ++ky, xr += y_step, wr += w_row) {
                        for (int32_t k = 0; k < nx; ++k) {
                            a += (int32_t)xr[k * x_step] * (int32_t)wr[k * c_pad];
                        }
                    }
                    out[c] = store16(rq_of(&q, fast, c, a), lo, hi);
                }
            }
        }
    }
}

void tq_depthwise_conv_2d_dsp_s16(const tq_dw_dsp_s16_params *p, const int16_t *in, const int16_t *w16,
                                  int16_t *out)
{
    if (p->q.fast) {
        dw_body(p, in, w16, out, 1);
    } else {
        dw_body(p, in, w16, out, 0);
    }
}
