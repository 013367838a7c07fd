#ifndef TQ_MINMAX_DSP_H
#define TQ_MINMAX_DSP_H

#include <stdint.h>

#include "tq_broadcast.h"

/* int8 MAXIMUM and MINIMUM on the raw values (as TFLM), 4 elements a step on the DSP cores:
 * SSUB8 sets a flag per byte where in1 >= in2, SEL picks each byte by it. walk and period as
 * in add_dsp.h (flat, a repeating per-channel vector or scalar, else the broadcast walk); each
 * reads shape.count, so a patch may narrow it to a band of rows. */
typedef struct {
    tq_bcast shape;
    int32_t walk, period;
} tq_minmax_dsp_params;

/* May run in place. */
void tq_maximum_dsp_s8(const tq_minmax_dsp_params *p, const int8_t *in1, const int8_t *in2, int8_t *out);
void tq_minimum_dsp_s8(const tq_minmax_dsp_params *p, const int8_t *in1, const int8_t *in2, int8_t *out);

#endif
