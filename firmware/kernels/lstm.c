#include "lstm.h"

#include "logistic.h"
#include "tanh.h"
#include "tq_common.h"
#include "tq_s16.h"

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
        const int32_t fx = tq_sat_s16(tq_requantize(ax, p->x_mult[k], (int)p->x_shift[k]));
        const int32_t fh = tq_sat_s16(tq_requantize(ah, p->h_mult[k], (int)p->h_shift[k]));
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
        const int32_t keep = tq_sat_s16(tq_requantize(gf[u] * c[u], p->fc_mult, (int)p->fc_shift));
        const int32_t add = tq_sat_s16(tq_requantize(gi[u] * gc[u], p->ig_mult, (int)p->ig_shift));
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
    return p->hidden_zero_point + tq_requantize(tc[u] * go[u], p->out_mult, (int)p->out_shift);
}

void tq_lstm_s8(const tq_lstm_params *p, const int8_t *in, int8_t *hidden, int16_t *cell, uint8_t *armed,
                int8_t *out, int16_t *scratch)
{
    const int32_t nb = p->batches, nt = p->steps, n = p->units;
    if (armed && !*armed) {
        for (int32_t i = 0; i < nb * n; ++i) {
            hidden[i] = (int8_t)p->hidden_zero_point;
        }
        *armed = 1;
    }
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
