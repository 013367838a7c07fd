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
} tq_fc_params;

/* out[b][c] = requant(sum_d w[c][d] * in[b][d] + bias[c]); bias already holds the input offset
 * term (input_offset * sum_d w[c][d]), folded in at generation time. */
void tq_fully_connected_s8(const tq_fc_params *p, const int8_t *in, const int8_t *w,
                           const int32_t *bias, int8_t *out);

#endif
