#ifndef TQ_SVDF_H
#define TQ_SVDF_H

#include <stdint.h>

typedef struct {
    int32_t batches, inputs, filters, memory, rank;   /* units = filters / rank */
    int32_t input_zero_point, output_zero_point;
    int32_t mult1, shift1;        /* input x feature weights -> state (int16) */
    int32_t mult2, shift2;        /* state x time weights -> output (int8) */
} tq_svdf_params;

/* SVDF, int8 with an int16 state of batches x filters x memory (TFLM's EvalIntegerSvdfReference):
 * the state shifted left by one element, each filter's newest entry the requantized feature dot
 * product, each filter's time dot product summed over the rank into its unit, plus bias,
 * requantized to int8 (the fused activation is not applied, as in TFLM's integer kernel).
 * `state` persists across invocations (static RAM); scratch holds batches x filters int32 and
 * batches x units int32. in, out and the state must not overlap. */
void tq_svdf_s8(const tq_svdf_params *p, const int8_t *in, const int8_t *w_feature, const int16_t *w_time,
                const int32_t *bias, int16_t *state, int8_t *out, int32_t *scratch);

#endif
