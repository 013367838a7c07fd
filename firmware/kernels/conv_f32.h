/* float32 CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED (TFLite's float reference kernels).
 *
 * Formats: NHWC float32 activations; CONV_2D weights OHWI [out_c][k_h][k_w][in_c], depthwise
 * weights [1][k_h][k_w][out_c] (out channel = in channel * multiplier + m), FULLY_CONNECTED
 * weights [out_depth][in_depth]; one float32 bias per output channel (zeros without one).
 * The `_f16w` kernels take the same weights as IEEE float16 (their bits, uint16_t: half the flash)
 * and convert each as they read it (tq_h2f in tq_f32.h: exact).
 * Every output is clamped to [act_min, act_max] (the fused activation; +-inf for none).
 * Traversal: output pixels in raster order, each pixel's channels after reading only its
 * window, so the output may trail its dying input as tinyq/ops/_window.py states. FULLY_CONNECTED's
 * input and output must not overlap. */
#ifndef TQ_CONV_F32_H
#define TQ_CONV_F32_H

#include <stdint.h>

#include "tq_common.h"

typedef struct {
    tq_window geo;
    int32_t depth_multiplier;   /* depthwise only */
    float act_min, act_max;
    const float *bias;
} tq_conv_f32_params;

typedef struct {
    int32_t batches, in_depth, out_depth;
    float act_min, act_max;
    const float *bias;
} tq_fc_f32_params;

void tq_conv_2d_f32(const tq_conv_f32_params *p, const float *in, const float *w, float *out);
void tq_depthwise_conv_2d_f32(const tq_conv_f32_params *p, const float *in, const float *w, float *out);
void tq_fully_connected_f32(const tq_fc_f32_params *p, const float *in, const float *w, float *out);
void tq_conv_2d_f16w(const tq_conv_f32_params *p, const float *in, const uint16_t *w, float *out);
void tq_depthwise_conv_2d_f16w(const tq_conv_f32_params *p, const float *in, const uint16_t *w, float *out);
void tq_fully_connected_f16w(const tq_fc_f32_params *p, const float *in, const uint16_t *w, float *out);

#endif /* TQ_CONV_F32_H */
