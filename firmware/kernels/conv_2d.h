#ifndef TQ_CONV_2D_H
#define TQ_CONV_2D_H

#include <stdint.h>

#include "tq_common.h"

#include "add.h"

/* Geometry and quantization of one CONV_2D, all fixed at generation time (kernel-independent:
 * a faster kernel can take the same struct). */
typedef struct {
    tq_window geo;
    int32_t input_offset;       /* -input zero point */
    int32_t output_offset;      /* output zero point */
    int32_t act_min, act_max;
    const int32_t *mult;        /* per output channel */
    const int32_t *shift;
    const int32_t *bias;        /* bias[c] (0 where the model has none): used at the borders */
    const int32_t *bias_full;   /* bias[c] + input_offset * sum(w[c]): used where no tap is padding */
    const tq_add_params *add;   /* a fused residual ADD, or 0 */
    int32_t add_conv_first;     /* the convolution's result is the ADD's first operand */
} tq_conv_params;

/* NHWC int8 convolution, weights OHWI. Bit-exact with TFLM's reference ConvPerChannel.
 * With p->add, each result is then added to residual[] at the same index (TFLM's Add), so the
 * sum can be written in place over the residual and the convolution's output never exists. */
void tq_conv_2d_s8(const tq_conv_params *p, const int8_t *in, const int8_t *w, const int8_t *residual,
                   int8_t *out);

#endif
