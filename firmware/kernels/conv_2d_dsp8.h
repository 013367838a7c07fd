#ifndef TQ_CONV_2D_DSP8_H
#define TQ_CONV_2D_DSP8_H

#include <stdint.h>

#include "conv_2d_dsp.h"

/* CONV_2D on the DSP extension with the model's int8 weights in flash (the "dsp8" variant).
 *
 * Parameters: tq_conv_dsp_params as for tq_conv_2d_dsp_s8, except that bias holds the unscaled
 * bias + input_offset * sum(w) and the requantization is mult8 / shift8, not rq (the dsp kernel
 * folds 2^scale into its int16 weights; here the accumulator is shifted once per output), 4
 * bytes a channel where the packed form is exact, else 6. In the 6-byte form a channel whose
 * output is a constant y has mult 2^30, rs 1 and bias 8 * (y - output_offset): the fast form
 * then yields y exactly; in the packed form its word is 0, bias[c] is y and it has no weights.
 *
 * Weights: int8, output channel after output channel (but a packed layer's constant channels);
 * each channel's taps in the (ky, kx, ic)
 * order, every filter row followed by row_pad zeros and the whole padded to 4 * groups bytes. They
 * are not reordered: the inputs are widened by SXTB16 / SXTB16-ROR-8 into the pairs (v0, v2),
 * (v1, v3) of each 4 bytes, and the same two instructions make the same pairs of the 4 weight
 * bytes, so one SMLAD per pair multiplies matching taps.
 *
 * Traversal: output pixels in raster order, TQ_CONV8_TILE (4) at a time: the tile's windows are
 * widened into scratch first, interleaved per group of 4 taps (pixel 0's two words, pixel 1's,
 * ...), then every output channel's weights are widened once and meet the 4 pixels (8 SMLAD per
 * weight word). A tile's outputs are stored after all its windows were read, and before the next
 * tile's windows are, so the output may trail the input as for the dsp kernel.
 *
 * Scratch (dsp8_scratch in tinyq/ops/conv_2d.py): the tile's widened windows (32 bytes a group),
 * one window gathered as int8 (4 bytes a group) unless the layer is read in place, and with a
 * fused ADD the tile's convolution outputs (4 * out_c bytes). */
#define TQ_CONV8_TILE 4

void tq_conv_2d_dsp8_s8(const tq_conv_dsp_params *p, const int8_t *in, const int8_t *w, const int8_t *residual,
                        int8_t *out, void *scratch);

#endif
