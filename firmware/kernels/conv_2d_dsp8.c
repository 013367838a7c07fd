#include "tq_config.h"

/* Kernel switches (tinyq/ops/kernel_config.py), each left out where no layer of the model needs
 * it (a layer that did would go wrong without it: the generator decides from the very layers it
 * lowers): TFLM's requantization arithmetic (TQ_CONV8_EXACT: rq_exact), the 6-byte
 * requantization form (TQ_CONV8_ROW6: layers not packed, rq_exact among them), packed layers whose
 * accumulators are shifted / whose inputs are doubled (TQ_CONV8_PK_SHIFT, _DOUBLED), constant channels
 * of a packed layer (TQ_CONV8_CONSTANTS), the fused residual ADD (TQ_CONV8_ADD). */
#ifndef TQ_CONV8_EXACT
#define TQ_CONV8_EXACT 1
#endif
#if !TQ_CONV8_EXACT
#define TQ_RQ_NO_EXACT 1
#endif
#ifndef TQ_CONV8_CONSTANTS
#define TQ_CONV8_CONSTANTS 1
#endif
#ifndef TQ_CONV8_ROW6
#define TQ_CONV8_ROW6 1
#endif
#ifndef TQ_CONV8_PK_SHIFT
#define TQ_CONV8_PK_SHIFT 1
#endif
#ifndef TQ_CONV8_PK_DOUBLED
#define TQ_CONV8_PK_DOUBLED 1
#endif

#include "conv_2d_dsp8.h"

#include "conv_2d_dsp_cols.h"
#include "conv_2d_dsp_window.h"
#include "tq_common.h"
#include "tq_config.h"
#include "tq_dsp.h"
#include "tq_mm_dsp.h"

#ifndef TQ_CONV8_ADD
#define TQ_CONV8_ADD 1
#endif

#define TQ_CONV8_HAS_CONSTANTS 1   /* pk_flags (conv_2d_dsp.h) */
#define TQ_CONV8_DOUBLED 2


/* Widen 4 * groups bytes at src into one pixel's slots of the tile's interleaved column: its two
 * words of every group, TQ_CONV8_TILE pixels (2 words each) apart; with dbl (a packed layer)
 * times 2, its fast requantization's factor (cheaper here than a shift of every output). */
static inline void tq_conv8_widen(const int8_t *src, int32_t groups, int32_t *col, int32_t dbl)
{
    if (dbl) {
        for (; groups > 0; --groups) {
            const int32_t v = tq_read_s32(src);
            const int32_t lo = tq_sxtb16(v), hi = tq_sxtb16_ror8(v);
            src += 4;
            col[0] = tq_sadd16(lo, lo);
            col[1] = tq_sadd16(hi, hi);
            col += 2 * TQ_CONV8_TILE;
        }
        return;
    }
    for (; groups > 0; --groups) {
        const int32_t v = tq_read_s32(src);
        src += 4;
        col[0] = tq_sxtb16(v);
        col[1] = tq_sxtb16_ror8(v);
        col += 2 * TQ_CONV8_TILE;
    }
}

/* The window of the output pixel whose top-left tap is (y0, x0), widened into its slots of col:
 * in place for a direct 1x1 layer, filter row by filter row when the window lies inside the
 * image and its rows are whole groups, else gathered into stage first (as the dsp kernel). */
static void tq_conv8_window(const tq_conv_dsp_params *p, const int8_t *in_b, const int8_t *in_end, int32_t y0,
                            int32_t x0, int8_t *stage, int32_t *col)
{
    const int32_t in_c = p->geo.in_c, in_w = p->geo.in_w, groups = p->groups, dbl = (p->pk_flags & TQ_CONV8_DOUBLED) != 0;
    if (p->direct) {
        tq_conv8_widen(in_b + (y0 * in_w + x0) * in_c, groups, col, dbl);
        return;
    }
    const int32_t row_bytes = p->geo.k_w * in_c + p->row_pad;
    const int32_t row_groups = p->geo.dil_w == 1 && (row_bytes & 3) == 0 ? row_bytes / 4 : 0;
    const int32_t last_y = y0 + (p->geo.k_h - 1) * p->geo.dil_h;
    if (row_groups && y0 >= 0 && x0 >= 0 && last_y < p->geo.in_h && x0 + p->geo.k_w - 1 < in_w &&
        in_b + (last_y * in_w + x0) * in_c + row_bytes <= in_end) {
        /* a padded row reads row_pad bytes past its taps: never past the input's end */
        const int8_t *row = in_b + (y0 * in_w + x0) * in_c;
        for (int32_t ky = 0; ky < p->geo.k_h; ++ky, row += p->geo.dil_h * in_w * in_c) {
            tq_conv8_widen(row, row_groups, col + 2 * TQ_CONV8_TILE * ky * row_groups, dbl);
        }
        return;
    }
    tq_conv_gather(p, in_b, y0, x0, stage);
    tq_conv8_widen(stage, groups, col, dbl);
}

#ifdef TQ_HAVE_DSP
/* One group: the channel's next 4 weights widened (w02, w13), then the 4 pixels' pairs, two
 * pixels per LDM (r4-r6, r8; not r7, the Thumb frame pointer): 13 instructions, 16 MACs. */
#define TQ_CONV8_GROUP_ASM                              \
    "ldr %[t], [%[w]], #4\n\t"                          \
    "sxtb16 %[u], %[t], ror #8\n\t"                     \
    "sxtb16 %[t], %[t]\n\t"                             \
    "ldmia %[col]!, {r4, r5, r6, r8}\n\t"               \
    "smlad %[a0], r4, %[t], %[a0]\n\t"                  \
    "smlad %[a0], r5, %[u], %[a0]\n\t"                  \
    "smlad %[a1], r6, %[t], %[a1]\n\t"                  \
    "smlad %[a1], r8, %[u], %[a1]\n\t"                  \
    "ldmia %[col]!, {r4, r5, r6, r8}\n\t"               \
    "smlad %[a2], r4, %[t], %[a2]\n\t"                  \
    "smlad %[a2], r5, %[u], %[a2]\n\t"                  \
    "smlad %[a3], r6, %[t], %[a3]\n\t"                  \
    "smlad %[a3], r8, %[u], %[a3]\n\t"
#endif

#define TQ_CONV8_DOT_OPERANDS                                                                           \
    [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [w] "+r"(w), [col] "+r"(col), [t] "=&r"(t), \
        [u] "=&r"(u)

#if defined(__GNUC__) && defined(TQ_HAVE_DSP)
/* Out of line: its loop needs 13 registers; inlined into a caller's loop, gcc (12, -O2) finds
 * its constraints impossible once the caller has a dozen values of its own live. */
#define TQ_CONV8_NOINLINE __attribute__((noinline))
#else
#define TQ_CONV8_NOINLINE
#endif

/* a[j] += pixel j's widened window (the tile's interleaved column) . one channel's weights. */
TQ_CONV8_NOINLINE static void tq_conv8_dot4(const int32_t *col, const int8_t *w, int32_t groups, int32_t *a)
{
    int32_t a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
#ifdef TQ_HAVE_DSP
    int32_t t, u;
    if (groups & 1) {
        __asm__ volatile(TQ_CONV8_GROUP_ASM : TQ_CONV8_DOT_OPERANDS : : "r4", "r5", "r6", "r8", "memory");
    }
    /* two groups per iteration: 28 instructions for 32 multiply-accumulates */
    if (groups > 1) {
        const int32_t *end = col + 2 * TQ_CONV8_TILE * (groups & ~1);
        __asm__ volatile(
            "1:\n\t"
            TQ_CONV8_GROUP_ASM
            TQ_CONV8_GROUP_ASM
            "cmp %[col], %[end]\n\t"
            "bne 1b\n\t"
            : TQ_CONV8_DOT_OPERANDS
            : [end] "r"(end)
            : "r4", "r5", "r6", "r8", "cc", "memory");
    }
#else
    for (int32_t g = 0; g < groups; ++g, w += 4, col += 2 * TQ_CONV8_TILE) {
        const int32_t v = tq_read_s32(w);
        const int32_t w02 = tq_sxtb16(v), w13 = tq_sxtb16_ror8(v);
        a0 = tq_smlad(col[1], w13, tq_smlad(col[0], w02, a0));
        a1 = tq_smlad(col[3], w13, tq_smlad(col[2], w02, a1));
        a2 = tq_smlad(col[5], w13, tq_smlad(col[4], w02, a2));
        a3 = tq_smlad(col[7], w13, tq_smlad(col[6], w02, a3));
    }
#endif
    a[0] = a0;
    a[1] = a1;
    a[2] = a2;
    a[3] = a3;
}

/* Channel c's requantization row (tq_dsp.h) and accumulator shift from its compact form: a
 * packed word (conv_2d_dsp.h) or the 6-byte form. */
typedef struct {
    tq_rq q;
    int32_t s;
} tq_conv8_rq;

static inline tq_conv8_rq tq_conv8_row(const tq_conv_dsp_params *p, int32_t c)
{
    tq_conv8_rq r;
    const int32_t zp = p->output_offset;
    if (!TQ_CONV8_ROW6 || p->rs_base) {
        const uint32_t wd = (uint32_t)p->mult8[c];
        const int32_t rs = p->rs_base + (int32_t)(wd >> 30);
        r.q.mult = (int32_t)((wd & 0x3FFFFFFFu) | 0x40000000u);
        r.q.add = (int32_t)(((uint32_t)zp * 2u + 1u) << (rs - 1));
        r.q.rs = rs;
        r.s = p->pk_flags & TQ_CONV8_DOUBLED ? 0 : 1;   /* or the inputs were widened times 2 */
        return r;
    }
    const int32_t shift8 = p->shift8[c];
    const int32_t hi = (int8_t)(uint8_t)((uint32_t)shift8 >> 8);   /* TFLM's shift, or rs - 1 */
    r.q.mult = p->mult8[c];
    r.q.add = hi;
    r.q.rs = 0;
    r.s = shift8 & 0xFF;
    if (!(TQ_CONV8_EXACT && p->rq_exact)) {
        r.q.add = (int32_t)(((uint32_t)zp * 2u + 1u) << hi);
        r.q.rs = hi + 1;
    }
    return r;
}

/* A packed layer's constant channel: its word is 0, bias[c] its output, no weights in w. */
static inline int32_t tq_conv8_constant(const tq_conv_dsp_params *p, int32_t c)
{
    return TQ_CONV8_CONSTANTS && (!TQ_CONV8_ROW6 || p->rs_base) && p->mult8[c] == 0;
}

/* One pixel's accumulator, shifted by scale, requantized and clamped. */
static inline int32_t tq_conv8_out(const tq_rq *q, int32_t acc, int32_t s, int32_t zp, int32_t lo, int32_t hi,
                                   int32_t mode)
{
    acc = (int32_t)((uint32_t)acc << s);
    if (mode == TQ_RQ_FAST_FULL) {
        return tq_rq_sat8(tq_rq_fast(q, acc));
    }
    return tq_rq_clamp(TQ_CONV8_EXACT && mode == TQ_RQ_EXACT ? tq_rq_exact(q, acc, zp) : tq_rq_fast(q, acc), lo, hi);
}

#ifdef TQ_HAVE_DSP
/* The fast requantization of accumulator acc (already shifted), then SSAT; t is free for the sign
 * fix. 5 instructions. */
#define TQ_CONV8_RQ_ASM(acc)                                   \
    "smmlar %[" #acc "], %[" #acc "], %[m], %[add]\n\t"        \
    "sub %[t], %[" #acc "], %[add]\n\t"                        \
    "add %[" #acc "], %[" #acc "], %[t], asr #31\n\t"          \
    "asr %[" #acc "], %[" #acc "], %[rs]\n\t"                  \
    "ssat %[" #acc "], #8, %[" #acc "]\n\t"

/* The 4 requantized outputs of channel c's accumulators a[] (shifted by s) at out, stride apart,
 * the activation's clamp where it is narrower than int8. */
#define TQ_CONV8_STORE4(s)                                                                          \
    int32_t a0 = (int32_t)((uint32_t)a[0] << (s)), a1 = (int32_t)((uint32_t)a[1] << (s));           \
    int32_t a2 = (int32_t)((uint32_t)a[2] << (s)), a3 = (int32_t)((uint32_t)a[3] << (s)), t;        \
    __asm__(TQ_CONV8_RQ_ASM(a0) TQ_CONV8_RQ_ASM(a1) TQ_CONV8_RQ_ASM(a2) TQ_CONV8_RQ_ASM(a3)          \
            : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [t] "=&r"(t)              \
            : [m] "r"(m), [add] "r"(add), [rs] "r"(rs));                                            \
    if (clamp) {                                                                                    \
        a0 = TQ_CLAMP(a0, lo, hi);                                                                  \
        a1 = TQ_CLAMP(a1, lo, hi);                                                                  \
        a2 = TQ_CLAMP(a2, lo, hi);                                                                  \
        a3 = TQ_CLAMP(a3, lo, hi);                                                                  \
    }                                                                                               \
    out[0] = (int8_t)a0;                                                                            \
    out[stride] = (int8_t)a1;                                                                       \
    out[2 * stride] = (int8_t)a2;                                                                   \
    out[3 * stride] = (int8_t)a3

/* The common case, a whole tile in the fast form, channels c0 .. c1 - 1 (out at channel c0):
 * per channel the 4 dot products, the shift by its scale, add = (2 zp + 1) << (rs - 1) =
 * 2^(rs-1) + (zp << rs) derived from its rs, the requantization (asm: 8 registers, so that gcc
 * can place them at any optimization level, with or without a frame pointer or FPU). This one
 * for a packed layer: rs - 1 = rs_base - 1 + (word >> 30), the scale 1 (0 when the widened
 * inputs and the bias carry it). */
TQ_ALWAYS_INLINE static inline void tq_conv8_packed_loop(const tq_conv_dsp_params *p, const int32_t *col,
                                                       const int8_t *w, int8_t *out, int32_t stride, int32_t clamp,
                                                       int32_t c0, int32_t c1, int32_t s)
{
    const int32_t step = 4 * p->groups, groups = p->groups;
    const uint32_t zp2 = 2u * (uint32_t)p->output_offset + 1u, bm1 = (uint32_t)p->rs_base - 1u;
    const int32_t lo = p->act_min, hi = p->act_max;
    const int32_t *bias = p->bias;
    const int32_t *mult = p->mult8;
    for (int32_t c = c0; c < c1; ++c, w += step, ++out) {
        int32_t a[TQ_CONV8_TILE] = {bias[c], bias[c], bias[c], bias[c]};
        tq_conv8_dot4(col, w, groups, a);
        const uint32_t wd = (uint32_t)mult[c], rm1 = bm1 + (wd >> 30);
        const int32_t m = (int32_t)((wd & 0x3FFFFFFFu) | 0x40000000u), add = (int32_t)(zp2 << rm1);
        const int32_t rs = (int32_t)rm1 + 1;
        TQ_CONV8_STORE4(s);
    }
}

/* The two instances (the shift a constant, none in the doubled one), each built where a layer of
 * the model has it (TQ_CONV8_PK_SHIFT, TQ_CONV8_PK_DOUBLED). */
#if TQ_CONV8_PK_SHIFT
TQ_CONV8_NOINLINE static void tq_conv8_tile_packed1(const tq_conv_dsp_params *p, const int32_t *col, const int8_t *w,
                                                    int8_t *out, int32_t stride, int32_t clamp, int32_t c0, int32_t c1)
{
    tq_conv8_packed_loop(p, col, w, out, stride, clamp, c0, c1, 1);
}
#endif
#if TQ_CONV8_PK_DOUBLED
TQ_CONV8_NOINLINE static void tq_conv8_tile_packed0(const tq_conv_dsp_params *p, const int32_t *col, const int8_t *w,
                                                    int8_t *out, int32_t stride, int32_t clamp, int32_t c0, int32_t c1)
{
    tq_conv8_packed_loop(p, col, w, out, stride, clamp, c0, c1, 0);
}
#endif

static void tq_conv8_tile_packed(const tq_conv_dsp_params *p, const int32_t *col, const int8_t *w, int8_t *out,
                                 int32_t stride, int32_t clamp, int32_t c0, int32_t c1)
{
#if TQ_CONV8_PK_DOUBLED
    if (p->pk_flags & TQ_CONV8_DOUBLED) {
        tq_conv8_tile_packed0(p, col, w, out, stride, clamp, c0, c1);
        return;
    }
#endif
#if TQ_CONV8_PK_SHIFT
    tq_conv8_tile_packed1(p, col, w, out, stride, clamp, c0, c1);
#else
    (void)p, (void)col, (void)w, (void)out, (void)stride, (void)clamp, (void)c0, (void)c1;
#endif
}

#if TQ_CONV8_ROW6
/* The same for the 6-byte form: scale and rs - 1 from shift8. */
TQ_CONV8_NOINLINE static void tq_conv8_tile_fast(const tq_conv_dsp_params *p, const int32_t *col, const int8_t *w,
                                                 int8_t *out, int32_t stride, int32_t clamp)
{
    const int32_t out_c = p->geo.out_c, step = 4 * p->groups, groups = p->groups;
    const uint32_t zp2 = 2u * (uint32_t)p->output_offset + 1u;
    const int32_t lo = p->act_min, hi = p->act_max;
    const int32_t *bias = p->bias;
    const int32_t *mult = p->mult8;
    const uint16_t *sh = p->shift8;
    for (int32_t c = 0; c < out_c; ++c, w += step, ++out) {
        int32_t a[TQ_CONV8_TILE] = {bias[c], bias[c], bias[c], bias[c]};
        tq_conv8_dot4(col, w, groups, a);
        const uint32_t s = sh[c] & 0xFFu, rm1 = (uint32_t)sh[c] >> 8;
        const int32_t m = mult[c], add = (int32_t)(zp2 << rm1), rs = (int32_t)rm1 + 1;
        TQ_CONV8_STORE4(s);
    }
}
#endif
#endif

/* Every output channel of the tile's n pixels (the widened windows in col): pixel j's outputs
 * at out + j * stride. */
TQ_CONV8_NOINLINE static void tq_conv8_tile(const tq_conv_dsp_params *p, const int32_t *col, const int8_t *w,
                                            int32_t n, int8_t *out, int32_t stride)
{
    const int32_t out_c = p->geo.out_c, groups = p->groups;
    const int32_t zp = p->output_offset, lo = p->act_min, hi = p->act_max;
    const int32_t mode = tq_rq_mode(p->rq_exact, lo, hi);
#ifdef TQ_HAVE_DSP
    if (n == TQ_CONV8_TILE && mode != TQ_RQ_EXACT) {
        const int32_t clamp = mode == TQ_RQ_FAST_CLAMP;
#if TQ_CONV8_ROW6
        if (!p->rs_base) {
            tq_conv8_tile_fast(p, col, w, out, stride, clamp);
            return;
        }
#endif
        if (!TQ_CONV8_CONSTANTS || !(p->pk_flags & TQ_CONV8_HAS_CONSTANTS)) {
            tq_conv8_tile_packed(p, col, w, out, stride, clamp, 0, out_c);
            return;
        }
        /* runs of constant channels (stored here) and of the others (their weights follow each
         * other in w) */
        for (int32_t c = 0, c1; c < out_c; c = c1) {
            for (; c < out_c && tq_conv8_constant(p, c); ++c) {
                const int8_t y = (int8_t)p->bias[c];
                out[c] = y;
                out[stride + c] = y;
                out[2 * stride + c] = y;
                out[3 * stride + c] = y;
            }
            for (c1 = c; c1 < out_c && !tq_conv8_constant(p, c1); ++c1) {
            }
            if (c1 > c) {
                tq_conv8_tile_packed(p, col, w, out + c, stride, clamp, c, c1);
                w += 4 * groups * (c1 - c);
            }
        }
        return;
    }
#endif
    const int32_t *bias = p->bias;
    for (int32_t c = 0; c < out_c; ++c) {
        if (tq_conv8_constant(p, c)) {
            for (int32_t j = 0; j < n; ++j) {
                out[j * stride + c] = (int8_t)bias[c];
            }
            continue;
        }
        int32_t a[TQ_CONV8_TILE] = {bias[c], bias[c], bias[c], bias[c]};
        tq_conv8_dot4(col, w, groups, a);
        w += 4 * groups;
        const tq_conv8_rq r = tq_conv8_row(p, c);
        for (int32_t j = 0; j < n; ++j) {
            out[j * stride + c] = (int8_t)tq_conv8_out(&r.q, a[j], r.s, zp, lo, hi, mode);
        }
    }
}

void tq_conv_2d_dsp8_s8(const tq_conv_dsp_params *p, const int8_t *in, const int8_t *w, const int8_t *residual,
                        int8_t *out, void *scratch)
{
    const int32_t in_h = p->geo.in_h, in_w = p->geo.in_w, in_c = p->geo.in_c;
    const int32_t out_h = p->geo.out_h, out_w = p->geo.out_w, out_c = p->geo.out_c, groups = p->groups;
    const int32_t pixels = (int32_t)p->geo.batches * out_h * out_w;
    const int8_t *in_end = in + (int32_t)p->geo.batches * in_h * in_w * in_c;
    /* with cols, the staged columns of the current output row first (conv_2d_dsp_cols.h) */
    int8_t *cs = (int8_t *)scratch;
    int32_t *col = (int32_t *)(cs + (p->cols ? tq_conv_cols_bytes(p) : 0));   /* 2 * TILE * groups words */
    int8_t *stage = (int8_t *)(col + 2 * TQ_CONV8_TILE * groups);       /* 4 * groups bytes */
    /* with a fused ADD, the tile's convolution outputs wait here (out may be the residual) */
    int8_t *conv_px = p->direct || p->cols ? stage : stage + 4 * groups;
    const int32_t cs_step = p->geo.stride_w * p->geo.k_h * in_c;   /* between staged windows */
    int32_t b = 0, oy = 0, ox = 0;
    for (int32_t o = 0; o < pixels; o += TQ_CONV8_TILE) {
        const int32_t n = TQ_MIN(TQ_CONV8_TILE, pixels - o);
        for (int32_t j = 0; j < n; ++j) {
            const int8_t *in_b = in + b * in_h * in_w * in_c;
            if (p->cols) {
                /* a row's staging at its first pixel: the tile's earlier pixels are widened already */
                if (ox == 0) {
                    tq_conv_cols(p, in_b, in_end, oy * p->geo.stride_h - p->geo.pad_h, cs);
                }
                tq_conv8_widen(cs + ox * cs_step, groups, col + 2 * j, (p->pk_flags & TQ_CONV8_DOUBLED) != 0);
            } else {
                tq_conv8_window(p, in_b, in_end, oy * p->geo.stride_h - p->geo.pad_h,
                                ox * p->geo.stride_w - p->geo.pad_w, stage, col + 2 * j);
            }
            if (++ox == out_w) {
                ox = 0;
                if (++oy == out_h) {
                    oy = 0;
                    ++b;
                }
            }
        }
        /* a last, short tile: its missing pixels are computed on zeros and not stored */
        for (int32_t j = n; j < TQ_CONV8_TILE; ++j) {
            for (int32_t g = 0; g < groups; ++g) {
                col[2 * (TQ_CONV8_TILE * g + j)] = 0;
                col[2 * (TQ_CONV8_TILE * g + j) + 1] = 0;
            }
        }
        if (TQ_CONV8_ADD && p->add_conv_lut) {
            /* the tile's n pixels lie out_c bytes apart here as in the residual and out: one run */
            tq_conv8_tile(p, col, w, n, conv_px, out_c);
            tq_conv_add_run(p, conv_px, residual + o * out_c, out + o * out_c, n * out_c);
        } else {
            tq_conv8_tile(p, col, w, n, out + o * out_c, out_c);
        }
    }
}
