#ifndef TQ_SUB_H
#define TQ_SUB_H

#include <stdint.h>

#include "tq_broadcast.h"

/* Same parameters as ADD: rescale both inputs to a common scale, subtract, requantize
 * (int8: 20 bits of headroom, int16: 15; act_min/act_max in the output's type). */
typedef struct {
    tq_bcast shape;
    int32_t in1_offset, in2_offset;
    int32_t in1_mult, in1_shift;
    int32_t in2_mult, in2_shift;
    int32_t out_mult, out_shift;
    int32_t out_offset;
    int32_t left_shift;
    int32_t act_min, act_max;
} tq_sub_params;

/* Bit-exact with TFLM's reference int8 Sub. May run in place. */
void tq_sub_s8(const tq_sub_params *p, const int8_t *in1, const int8_t *in2, int8_t *out);
/* int16, zero points 0, left_shift 15: TFLM's reference int16 Sub / BroadcastQuantSubSlow.
 * May run in place. */
void tq_sub_s16(const tq_sub_params *p, const int16_t *in1, const int16_t *in2, int16_t *out);

#endif
