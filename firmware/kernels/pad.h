#ifndef TQ_PAD_H
#define TQ_PAD_H

#include <stdint.h>

typedef struct {
    int32_t in_dims[5];     /* input shape, padded to 5-D with leading 1s */
    int32_t out_dims[5];
    int32_t before[5];      /* padding before each dimension */
    int32_t elem_bytes;     /* 1 for int8, 2 for int16 */
    int32_t pad_value;      /* the element value written into the padding (int8 or int16) */
} tq_pad_params;

/* PAD / PADV2 (TFLM's reference Pad): copies the input into the output at offset `before`,
 * fills the rest with pad_value. Elements of 1 or 2 bytes; up to 5 dimensions, as TFLM.
 * in and out must not overlap. */
void tq_pad(const tq_pad_params *p, const void *in, void *out);

#endif
