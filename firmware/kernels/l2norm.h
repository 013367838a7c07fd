#ifndef TQ_L2NORM_H
#define TQ_L2NORM_H

#include <stdint.h>

typedef struct {
    int32_t outer, depth;          /* rows, and elements per row (the last axis) */
    int32_t input_zero_point;
} tq_l2norm_params;

/* L2_NORMALIZATION, int8 (TFLM's reference_integer_ops::L2Normalization): per row, the sum of
 * squares (x - zp)^2 in int32, its inverse square root as a multiplier (Newton-Raphson,
 * GetInvSqrtQuantizedMultiplierExp), each element rescaled to the output's 1/128 steps and
 * saturated. May run in place (a row is read twice before its elements are written). */
void tq_l2norm_s8(const tq_l2norm_params *p, const int8_t *in, int8_t *out);

/* TFLite's GetInvSqrtQuantizedMultiplierExp with reverse_shift -1: 1/sqrt(x) as a multiplier
 * and shift for tq_requantize. */
void tq_inv_sqrt_multiplier(int32_t x, int32_t *mult, int *shift);

#endif
