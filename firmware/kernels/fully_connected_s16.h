#ifndef TQ_FULLY_CONNECTED_S16_H
#define TQ_FULLY_CONNECTED_S16_H

#include <stdint.h>

/* One 16x8 FULLY_CONNECTED (int16 activations, int8 weights, int64 bias), fixed at generation
 * time. Input and output zero points are 0 and the weights symmetric (TFLM requires it). */
typedef struct {
    int32_t batches;
    int32_t in_depth;
    int32_t out_depth;
    int32_t act_min, act_max;   /* within [-32768, 32767] */
    const int32_t *mult;        /* per output channel, Q31 */
    const int32_t *shift;       /* per output channel, in [-31, 7] */
    const int64_t *bias;        /* per output channel (zeros where the model has none) */
} tq_fc_s16_params;

/* out[b][c] = clamp(tq_requantize_s64(sum_d w[c][d] * in[b][d] + bias[c])): TFLM's reference
 * FullyConnected for int16 input and int64 bias. in int16 [batches][in_depth], w int8
 * [out_depth][in_depth], out int16 [batches][out_depth]; in and out must not overlap. */
void tq_fully_connected_s16(const tq_fc_s16_params *p, const int16_t *in, const int8_t *w, int16_t *out);

#endif
