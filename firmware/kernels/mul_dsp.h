#ifndef TQ_MUL_DSP_H
#define TQ_MUL_DSP_H

#include <stdint.h>

#include "tq_broadcast.h"
#include "tq_dsp.h"

/* int8 MUL with the fast requantization (tq_rq_fast): the product of the two offset inputs is
 * scaled by 2^fshift at run time (the factor the other DSP kernels fold into their weights),
 * proven exact at generation time from the product's bound, else TFLM's arithmetic (exact).
 * Flat and repeating-operand walks (walk, period: see add_dsp.h) run 4 elements a step with
 * SIMD: one word of each input, SXTAB16 adds the offsets as it widens, SMULBB/SMULTT multiply;
 * the general broadcast walk goes element by element. */
typedef struct {
    tq_bcast shape;
    int32_t in1_offset, in2_offset;   /* -zero points */
    tq_rq rq;
    int32_t exact;
    int32_t fshift;
    int32_t walk, period;
    int32_t zp, act_min, act_max;
} tq_mul_dsp_params;

/* May run in place. */
void tq_mul_dsp_s8(const tq_mul_dsp_params *p, const int8_t *in1, const int8_t *in2, int8_t *out);

#endif
