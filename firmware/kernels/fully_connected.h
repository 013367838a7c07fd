#ifndef TQ_FULLY_CONNECTED_H
#define TQ_FULLY_CONNECTED_H

#include <stdint.h>

typedef struct {
    int32_t batches;
    int32_t in_depth;
    int32_t out_depth;
    int32_t output_offset;   /* output zero point */
    int32_t act_min;
    int32_t act_max;
    const int32_t *mult;     /* per output channel, Q31 */
    const int32_t *shift;    /* per output channel */
    const int32_t *bias;     /* per output channel: the model's bias - input_zp * sum_d w[c][d] */
} tq_fc_params;

/* out[b][c] = requant(sum_d w[c][d] * in[b][d] + bias[c]); bias already holds the input offset
 * term, folded in at generation time. in int8 [batches][in_depth], w int8 [out_depth][in_depth],
 * out int8 [batches][out_depth]; in and out must not overlap (every output reads a whole row). */
void tq_fully_connected_s8(const tq_fc_params *p, const int8_t *in, const int8_t *w, int8_t *out);

#endif
