#ifndef TQ_ADD_N_H
#define TQ_ADD_N_H

#include <stdint.h>

typedef struct {
    int32_t count;                 /* elements of each input and of the output */
    int32_t inputs;                /* number of inputs, >= 2 */
    int32_t input_offset;          /* -zp, one for all inputs (TFLM requires it) */
    int32_t input_mult, input_shift;     /* 1/2 (scale / (2 scale)), smaller than one */
    int32_t output_mult, output_shift;   /* 2 scale / (2^20 out scale), smaller than one */
    int32_t output_offset, act_min, act_max;
} tq_add_n_params;

/* ADD_N, int8 (TFLM's reference AddN): each input (x - zp) << 20 rescaled and summed, plus the
 * rescaled offset TFLM starts its sum with, requantized and saturated. The output may run in
 * place on an input (each element is read by all inputs before it is written). */
void tq_add_n_s8(const tq_add_n_params *p, const int8_t *const *in, int8_t *out);

#endif
