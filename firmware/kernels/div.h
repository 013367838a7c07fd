#ifndef TQ_DIV_H
#define TQ_DIV_H

#include <stdint.h>

#include "tq_broadcast.h"

typedef struct {
    tq_bcast shape;
    int32_t in1_offset, in2_offset, out_offset;   /* -zp1, -zp2, zp_out */
    int32_t mult, shift;         /* scale1 / (scale2 * scale_out) */
    int32_t act_min, act_max;
} tq_div_params;

/* DIV, int8 with broadcasting (TFLM's reference DivElementwise): the divisor's fixed-point
 * reciprocal (GetReciprocal), the dividend shifted up by its headroom, one requantization. A zero
 * divisor (TFLM checks it is not) gives the saturated quotient of a reciprocal of 1. May run in
 * place on an input of the output's shape. */
void tq_div_s8(const tq_div_params *p, const int8_t *a, const int8_t *b, int8_t *out);

#endif
