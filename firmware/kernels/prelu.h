#ifndef TQ_PRELU_H
#define TQ_PRELU_H

#include <stdint.h>

#include "tq_broadcast.h"

typedef struct {
    tq_bcast shape;                  /* input 1: x, input 2: alpha (broadcast) */
    int32_t input_offset, alpha_offset, output_offset;   /* -zp_x, -zp_alpha, zp_out */
    int32_t mult_pos, shift_pos;     /* scale_x / scale_out */
    int32_t mult_neg, shift_neg;     /* scale_x * scale_alpha / scale_out */
} tq_prelu_params;

/* PRELU, int8 (TFLM's BroadcastPrelu4DSlow): v = x - zp_x; v >= 0 ? v * m_pos : v * (alpha -
 * zp_alpha) * m_neg, + zp_out, saturated. May run in place on x (each element is read before
 * the same index is written). */
void tq_prelu_s8(const tq_prelu_params *p, const int8_t *x, const int8_t *alpha, int8_t *out);

#endif
