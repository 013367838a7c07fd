#ifndef TQ_SQUARED_DIFFERENCE_DSP_H
#define TQ_SQUARED_DIFFERENCE_DSP_H

#include <stdint.h>

#include "tq_broadcast.h"
#include "tq_dsp.h"

/* int8 SQUARED_DIFFERENCE with TFLM's per-input rescale tabulated at generation time: each
 * input's (x + offset) << 7 times its multiplier is a function of one byte (|value| <= 2^14,
 * int16 tables, index x + 128). The difference squared (<= 2^30) is requantized with the fast
 * form (tq_rq_fast, proven exact from that bound at generation time; the square is never
 * negative, so it needs no rounding correction), else with TFLM's arithmetic. walk and period as
 * in add_dsp.h. */
typedef struct {
    tq_bcast shape;
    const int16_t *lut1, *lut2;
    tq_rq rq;
    int32_t exact;
    int32_t fshift;
    int32_t walk, period;
    int32_t zp;
} tq_squared_difference_dsp_params;

/* May run in place. */
void tq_squared_difference_dsp_s8(const tq_squared_difference_dsp_params *p, const int8_t *in1, const int8_t *in2,
                                  int8_t *out);

#endif
