#ifndef TQ_ADD_DSP_H
#define TQ_ADD_DSP_H

#include <stdint.h>

#include "tq_broadcast.h"
#include "tq_dsp.h"

/* int8 ADD and SUB as two 256-entry tables and one requantization: TFLM rescales each input on
 * its own ((x + offset) << 20, then that input's multiplier), so each half is a function of one
 * byte, tabulated at generation time with TFLM's arithmetic (tinyq/ops/_dsp_layout.py,
 * residual_add_tables, the same tables the convolution's fused ADD reads; SUB's second table is
 * negated). Per element: two byte loads, two table loads, the sum, the fast requantization
 * (SMMLAR, the rounding correction from the sum's sign, a shift), SSAT, a byte store.
 *
 * walk (tinyq/ops/_elementwise.py, BinaryData.walk): TQ_WALK_FLAT both inputs have the output's
 * shape; TQ_WALK_PERIOD2 input 1 has it and input 2 repeats every `period` elements (a
 * per-channel vector, a scalar: the output's trailing dimensions); TQ_WALK_PERIOD1 the same with
 * the inputs' roles swapped; TQ_WALK_GENERAL the broadcast walk. Each reads shape.count, so a
 * patch that narrows it to a band of rows runs that band. */
typedef struct {
    tq_bcast shape;
    const int32_t *lut1, *lut2;     /* TQ_ADD_LUT_SIZE entries, index x + TQ_ADD_LUT_ZERO */
    tq_rq rq;                       /* the sum's requantization (fast form unless exact) */
    int32_t exact;
    int32_t walk, period;
    int32_t zp, act_min, act_max;
} tq_add_dsp_params;

/* May run in place (each element is read before it is written). */
void tq_add_dsp_s8(const tq_add_dsp_params *p, const int8_t *in1, const int8_t *in2, int8_t *out);

#endif
