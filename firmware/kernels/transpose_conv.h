#ifndef TQ_TRANSPOSE_CONV_H
#define TQ_TRANSPOSE_CONV_H

#include <stdint.h>

#include "tq_common.h"

/* One TRANSPOSE_CONV, fixed at generation time. geo: in_* are the op's input (NHWC), out_* its
 * output, k_* and stride_* the filter's, pad_* TFLM's padding (computed over the output as if it
 * were a convolution's input), dil_* 1. The output-shape operand is not read: the shape is static. */
typedef struct {
    tq_window geo;
    int32_t input_offset;       /* -input zero point (int8; 0 for int16) */
    int32_t output_offset;      /* output zero point (int8; 0 for int16) */
    int32_t act_min, act_max;
    const int32_t *mult;        /* per output channel */
    const int32_t *shift;
    const int32_t *bias;        /* int8: per output channel, or 0 */
    const int64_t *bias64;      /* int16: per output channel, or 0 */
} tq_transpose_conv_params;

/* Bit-exact with TFLM's reference_integer_ops::TransposeConv. Weights OHWI int8. Every input
 * pixel scatters w[oc][ky][kx][:] . in[y][x][:] into the accumulator of output pixel
 * (y * stride_h - pad_h + ky, x * stride_w - pad_w + kx), when inside the output; then each
 * accumulator plus bias is requantized and clamped. The output is written only after the whole
 * input has been read, so it may overlap the input in any way.
 * int16 (zero points 0): int64 accumulators, TFLM's int64 MultiplyByQuantizedMultiplier
 * (tq_requantize_s64, tq_s16.h). int8: int32 accumulators, (in + input_offset) * w,
 * tq_requantize, + output_offset.
 * Scratch (sized by scratch_bytes in tinyq/ops/transpose_conv.py): one accumulator per output
 * element, int64_t for int16, int32_t for int8; 8-byte aligned (the planner aligns to 16). */
void tq_transpose_conv_s16(const tq_transpose_conv_params *p, const int16_t *in, const int8_t *w,
                           int16_t *out, void *scratch);
void tq_transpose_conv_s8(const tq_transpose_conv_params *p, const int8_t *in, const int8_t *w,
                          int8_t *out, void *scratch);

#endif
