#include "lstm.h"

#include <string.h>

#include "logistic.h"
#include "tanh.h"
#include "tq_common.h"
#include "tq_dsp.h"
#include "tq_s16.h"

/* TFLM's MultiplyByQuantizedMultiplier; for the usual right shifts in fewer instructions
 * (tq_requantize_lt1_fast is bit-identical there) */
static inline int32_t rq(int32_t x, int32_t multiplier, int32_t shift)
{
    return shift <= 0 ? tq_requantize_lt1_fast(x, multiplier, (int)shift) : tq_requantize(x, multiplier, (int)shift);
}

/* gate[u] = sat16(rq(w_x row . x + b_x)) + sat16(rq(w_h row . h + b_h)), saturated, for one gate */
static void gate_fc_s8(const tq_lstm_params *p, int32_t k, const int8_t *x, const int8_t *h, int16_t *gate)
{
    const int32_t n_in = p->inputs, n = p->units;
    const int8_t *wx = p->w_x + k * n * n_in, *wh = p->w_h + k * n * n;
    for (int32_t u = 0; u < n; ++u) {
        int32_t ax = p->b_x[k * n + u], ah = p->b_h[k * n + u];
        for (int32_t j = 0; j < n_in; ++j) {
            ax += wx[j] * x[j];
        }
        for (int32_t j = 0; j < n; ++j) {
            ah += wh[j] * h[j];
        }
        wx += n_in;
        wh += n;
        const int32_t fx = tq_sat_s16(rq(ax, p->x_mult[k], p->x_shift[k]));
        const int32_t fh = tq_sat_s16(rq(ah, p->h_mult[k], p->h_shift[k]));
        gate[u] = tq_sat_s16(fx + fh);
    }
}

/* the same with int16 x and h: int64 accumulators (the recurrent one has no bias) */
static void gate_fc_s16(const tq_lstm_params *p, int32_t k, const int16_t *x, const int16_t *h, int16_t *gate)
{
    const int32_t n_in = p->inputs, n = p->units;
    const int8_t *wx = p->w_x + k * n * n_in, *wh = p->w_h + k * n * n;
    for (int32_t u = 0; u < n; ++u) {
        int64_t ax = p->b_x64[k * n + u], ah = 0;
        for (int32_t j = 0; j < n_in; ++j) {
            ax += (int32_t)wx[j] * x[j];
        }
        for (int32_t j = 0; j < n; ++j) {
            ah += (int32_t)wh[j] * h[j];
        }
        wx += n_in;
        wh += n;
        const int32_t fx = tq_sat_s16(tq_requantize_s64(ax, p->x_mult[k], (int)p->x_shift[k]));
        const int32_t fh = tq_sat_s16(tq_requantize_s64(ah, p->h_mult[k], (int)p->h_shift[k]));
        gate[u] = tq_sat_s16(fx + fh);
    }
}

/* The gates (scratch: i, f, c, o, each `units` int16) through their activations, the cell state
 * updated, and tanh(cell) into the fifth scratch row; the output gate stays in row 3. */
static void update_cell(const tq_lstm_params *p, int16_t *c, int16_t *scratch)
{
    const int32_t n = p->units;
    int16_t *gi = scratch, *gf = scratch + n, *gc = scratch + 2 * n, *go = scratch + 3 * n, *tc = scratch + 4 * n;
    /* Q3.12 in, Q0.15 out: TFLM calls its int16 sigmoid/tanh with the power-of-two multiplier 3 */
    const tq_sigmoid_s16_params sig2 = {2 * n, 3, 0, p->table}, sig1 = {n, 3, 0, p->table};
    const tq_sigmoid_s16_params cell_tanh = {n, p->tanh_mult, p->tanh_shift, p->table};
    tq_logistic_s16(&sig2, gi, gi);             /* input and forget gates, adjacent */
    tq_logistic_s16(&sig1, go, go);
    tq_tanh_s16(&sig1, gc, gc);
    for (int32_t u = 0; u < n; ++u) {
        const int32_t keep = tq_sat_s16(rq(gf[u] * c[u], p->fc_mult, p->fc_shift));
        const int32_t add = tq_sat_s16(rq(gi[u] * gc[u], p->ig_mult, p->ig_shift));
        int32_t v = tq_sat_s16(keep + add);
        if (p->cell_clip) {
            v = TQ_CLAMP(v, -p->cell_clip, p->cell_clip);
        }
        c[u] = (int16_t)v;
    }
    tq_tanh_s16(&cell_tanh, c, tc);
}

/* o * tanh(c), requantized to the hidden state's scale and zero point (not yet clamped) */
static int32_t hidden_value(const tq_lstm_params *p, const int16_t *scratch, int32_t u)
{
    const int16_t *go = scratch + 3 * p->units, *tc = scratch + 4 * p->units;
    return p->hidden_zero_point + rq(tc[u] * go[u], p->out_mult, p->out_shift);
}

/* the hidden state's initial value is its zero point: filled while *armed is 0 (see lstm.h) */
static void arm(const tq_lstm_params *p, int8_t *hidden, uint8_t *armed)
{
    if (armed && !*armed) {
        for (int32_t i = 0; i < p->batches * p->units; ++i) {
            hidden[i] = (int8_t)p->hidden_zero_point;
        }
        *armed = 1;
    }
}

void tq_lstm_s8(const tq_lstm_params *p, const int8_t *in, int8_t *hidden, int16_t *cell, uint8_t *armed,
                int8_t *out, int16_t *scratch)
{
    const int32_t nb = p->batches, nt = p->steps, n = p->units;
    arm(p, hidden, armed);
    for (int32_t b = 0; b < nb; ++b) {
        int8_t *h = hidden + b * n;
        for (int32_t t = 0; t < nt; ++t) {
            const int32_t row = p->time_major ? t * nb + b : b * nt + t;
            for (int32_t k = 0; k < 4; ++k) {
                gate_fc_s8(p, k, in + row * p->inputs, h, scratch + k * n);  /* the previous h */
            }
            update_cell(p, cell + b * n, scratch);
            for (int32_t u = 0; u < n; ++u) {
                h[u] = tq_sat_s8(hidden_value(p, scratch, u));
                out[row * n + u] = h[u];
            }
        }
    }
}

void tq_lstm_s16(const tq_lstm_params *p, const int16_t *in, int16_t *hidden, int16_t *cell, int16_t *out,
                 int16_t *scratch)
{
    const int32_t nb = p->batches, nt = p->steps, n = p->units;
    for (int32_t b = 0; b < nb; ++b) {
        int16_t *h = hidden + b * n;
        for (int32_t t = 0; t < nt; ++t) {
            const int32_t row = p->time_major ? t * nb + b : b * nt + t;
            for (int32_t k = 0; k < 4; ++k) {
                gate_fc_s16(p, k, in + row * p->inputs, h, scratch + k * n);
            }
            update_cell(p, cell + b * n, scratch);
            for (int32_t u = 0; u < n; ++u) {
                h[u] = tq_sat_s16(hidden_value(p, scratch, u));
                out[row * n + u] = h[u];
            }
        }
    }
}

/* x[0..n) as int16 pairs (x0, x2), (x1, x3) per group of 4, the last group zero-padded */
static void widen_pairs(const int8_t *x, int32_t n, int32_t *v)
{
    int32_t g = 0;
    for (; g + 4 <= n; g += 4) {
        const int32_t word = tq_read_s32(x + g);
        *v++ = tq_sxtb16(word);
        *v++ = tq_sxtb16_ror8(word);
    }
    if (g < n) {
        int8_t tail[4] = {0, 0, 0, 0};
        memcpy(tail, x + g, (size_t)(n - g));
        const int32_t word = tq_read_s32(tail);
        *v++ = tq_sxtb16(word);
        *v = tq_sxtb16_ror8(word);
    }
}

/* acc + w[0..n4) . v, w a padded int8 row, v its widened pairs */
static inline int32_t dot_pairs(const int8_t *w, const int32_t *v, int32_t n4, int32_t acc)
{
    for (int32_t g = 0; g < n4; g += 4) {
        const int32_t word = tq_read_s32(w + g);
        int32_t v02, v13;
        tq_ld2(&v, &v02, &v13);
        acc = tq_smlad(tq_sxtb16(word), v02, acc);
        acc = tq_smlad(tq_sxtb16_ror8(word), v13, acc);
    }
    return acc;
}

void tq_lstm_dsp_s8(const tq_lstm_params *p, const int8_t *in, int8_t *hidden, int16_t *cell, uint8_t *armed,
                    int8_t *out, int32_t *scratch)
{
    const int32_t nb = p->batches, nt = p->steps, n = p->units, n_in4 = p->inputs4, n4 = p->units4;
    int32_t *vx = scratch, *vh = scratch + n_in4 / 2;
    int16_t *gates = (int16_t *)(void *)(vh + n4 / 2);
    arm(p, hidden, armed);
    for (int32_t b = 0; b < nb; ++b) {
        int8_t *h = hidden + b * n;
        for (int32_t t = 0; t < nt; ++t) {
            const int32_t row = p->time_major ? t * nb + b : b * nt + t;
            widen_pairs(in + row * p->inputs, p->inputs, vx);
            widen_pairs(h, n, vh);              /* the previous hidden state */
            for (int32_t k = 0; k < 4; ++k) {
                const int8_t *wx = p->w_x + k * n * n_in4, *wh = p->w_h + k * n * n4;
                for (int32_t u = 0; u < n; ++u) {
                    const int32_t ax = dot_pairs(wx + u * n_in4, vx, n_in4, p->b_x[k * n + u]);
                    const int32_t ah = dot_pairs(wh + u * n4, vh, n4, p->b_h[k * n + u]);
                    const int32_t fx = tq_sat_s16(rq(ax, p->x_mult[k], p->x_shift[k]));
                    const int32_t fh = tq_sat_s16(rq(ah, p->h_mult[k], p->h_shift[k]));
                    gates[k * n + u] = tq_sat_s16(fx + fh);
                }
            }
            update_cell(p, cell + b * n, gates);
            for (int32_t u = 0; u < n; ++u) {
                h[u] = tq_sat_s8(hidden_value(p, gates, u));
                out[row * n + u] = h[u];
            }
        }
    }
}
