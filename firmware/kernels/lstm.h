#ifndef TQ_LSTM_H
#define TQ_LSTM_H

#include <stdint.h>

/* UNIDIRECTIONAL_SEQUENCE_LSTM, int8 or 16x8 (TFLM's integer LSTM). Gates are indexed i, f, c, o (input,
 * forget, cell, output). Per batch row and time step:
 *   gate[k] = act_k( sat16( sat16(rq(w_x[k] . x + b_x[k])) + sat16(rq(w_h[k] . h + b_h[k])) ) )
 * at scale 2^-12 in, 2^-15 out (act: TFLM's int16 sigmoid, tanh for the cell gate);
 *   c = clip( sat16( rq(f * c) + rq(i * g) ) ),   h = sat( zp + rq(o * tanh(c)) )
 * and h is written to the output row of that step. int8: x, h int8, int32 biases, 32-bit
 * requantization; 16x8: x, h int16 (zero points 0), int64 biases, TFLM's 64-bit requantization
 * of the gate FULLY_CONNECTEDs (tq_requantize_s64). Rows are independent, so batch after batch,
 * step after step gives TFLM's results for time-major and batch-major layouts alike. */
typedef struct {
    int32_t batches, steps, inputs, units;
    int32_t time_major;                 /* in/out are [steps][batches][.], else [batches][steps][.] */
    int32_t hidden_zero_point;
    int32_t x_mult[4], x_shift[4];      /* input x weights -> gate (2^-12) */
    int32_t h_mult[4], h_shift[4];      /* hidden state x weights -> gate */
    int32_t fc_mult, fc_shift;          /* forget gate x cell state -> cell state */
    int32_t ig_mult, ig_shift;          /* input gate x cell gate -> cell state */
    int32_t out_mult, out_shift;        /* output gate x tanh(cell) -> hidden state */
    int32_t cell_clip;                  /* 0: none, else the cell state is clamped to +-cell_clip */
    int32_t tanh_mult, tanh_shift;      /* cell state -> tanh input (see tq_sigmoid_s16_params) */
    const int8_t *w_x;                  /* [4][units][inputs] */
    const int8_t *w_h;                  /* [4][units][units] */
    const int32_t *b_x;                 /* int8: [4][units], bias - input zero point * row sum */
    const int32_t *b_h;                 /* int8: [4][units], -hidden zero point * row sum */
    const int64_t *b_x64;               /* 16x8: [4][units], the biases (no recurrent ones) */
    int32_t inputs4, units4;            /* dsp: the weight rows' lengths, padded to multiples of 4 */
    const uint16_t *table;              /* TFLite's sigmoid table (logistic.h) */
} tq_lstm_params;

/* hidden (int8) and cell (int16) hold batches x units values and persist across invocations.
 * `armed` (or 0 when the hidden zero point is 0): while *armed is 0 the hidden state is first
 * filled with its zero point (TFLM's reset value), then *armed is set. scratch: 5 x units int16.
 * in and out must not overlap. */
void tq_lstm_s8(const tq_lstm_params *p, const int8_t *in, int8_t *hidden, int16_t *cell, uint8_t *armed,
                int8_t *out, int16_t *scratch);
/* The same on the DSP extension: w_x is [4][units][inputs4] and w_h [4][units][units4], int8,
 * rows padded with zero weights; x and h are widened once per step into the scratch in SXTB16's
 * pair order (per 4 values: x0 x2 | x1 x3), so 4 MACs are one word of weights, one LDRD, two
 * SXTB16 and two SMLAD. Exact: the same int32 sums. scratch: (inputs4 + units4) / 2 int32, then
 * 5 x units int16 (16-byte aligned, as planned). */
void tq_lstm_dsp_s8(const tq_lstm_params *p, const int8_t *in, int8_t *hidden, int16_t *cell, uint8_t *armed,
                    int8_t *out, int32_t *scratch);
/* 16x8: TFLM resets an int16 variable tensor to 0, which the zero point 0 makes a zero state. */
void tq_lstm_s16(const tq_lstm_params *p, const int16_t *in, int16_t *hidden, int16_t *cell, int16_t *out,
                 int16_t *scratch);

#endif
