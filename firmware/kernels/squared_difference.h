#ifndef TQ_SQUARED_DIFFERENCE_H
#define TQ_SQUARED_DIFFERENCE_H

#include <stdint.h>

#include "tq_broadcast.h"

typedef struct {
    tq_bcast shape;
    int32_t left_shift;                          /* 7 for int8, 0 for int16 */
    int32_t in1_offset, in1_mult, in1_shift;     /* -zp, scale / (2 max scale) */
    int32_t in2_offset, in2_mult, in2_shift;
    int32_t out_offset, out_mult, out_shift;     /* (2 max scale)^2 / (2^(2 ls) out scale) */
} tq_squared_difference_params;

/* SQUARED_DIFFERENCE, int8 / int16 with broadcasting (TFLM's quantized SquaredDifference): both
 * inputs shifted left and rescaled to a common scale, the difference squared in int32 and
 * requantized, saturated. May run in place on an input of the output's shape. */
void tq_squared_difference_s8(const tq_squared_difference_params *p, const int8_t *a, const int8_t *b, int8_t *out);
void tq_squared_difference_s16(const tq_squared_difference_params *p, const int16_t *a, const int16_t *b,
                               int16_t *out);

#endif
