#ifndef TQ_ADD_H
#define TQ_ADD_H

#include <stdint.h>

#include "tq_broadcast.h"

/* Both inputs are rescaled to a common scale with 20 bits of headroom, summed, requantized. */
typedef struct {
    tq_bcast shape;
    int32_t in1_offset, in2_offset;   /* -zero points */
    int32_t in1_mult, in1_shift;      /* shifts <= 0 */
    int32_t in2_mult, in2_shift;
    int32_t out_mult, out_shift;
    int32_t out_offset;
    int32_t left_shift;
    int32_t act_min, act_max;
} tq_add_params;

/* Bit-exact with TFLM's reference int8 Add (and its broadcast variant). May run in place. */
void tq_add_s8(const tq_add_params *p, const int8_t *in1, const int8_t *in2, int8_t *out);

#endif
