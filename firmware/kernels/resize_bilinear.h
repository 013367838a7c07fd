#ifndef TQ_RESIZE_BILINEAR_H
#define TQ_RESIZE_BILINEAR_H

#include <stdint.h>

typedef struct {
    int32_t batches, in_h, in_w, depth, out_h, out_w;
    const int32_t *rows;   /* per output row: y0, y1, fraction of y1 in 1/1024 (may be < 0) */
    const int32_t *cols;   /* per output column: x0, x1, fraction of x1 */
} tq_resize_bilinear_params;

/* RESIZE_BILINEAR, int8 NHWC (TFLM's ResizeBilinearInteger): the four neighbours weighted in
 * 1/2^20, rounded half away from zero. Every weighted term fits int32 (|q| <= 128, each weight
 * below 1536 * 1536), and so does their sum. in and out must not overlap. */
void tq_resize_bilinear_s8(const tq_resize_bilinear_params *p, const int8_t *in, int8_t *out);

#endif
