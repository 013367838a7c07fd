#ifndef TQ_PAD_H
#define TQ_PAD_H

#include <stdint.h>

typedef struct {
    int32_t in_dims[4];     /* input shape, padded to 4-D */
    int32_t out_dims[4];
    int32_t before[4];      /* padding before each dimension */
    int32_t elem_bytes;     /* 1 for int8, 4 for float32 */
    int32_t pad_value;      /* the int8 value written into the padding */
} tq_pad_params;

/* PAD / PADV2: copies the input into the middle of the output, fills the rest. */
void tq_pad(const tq_pad_params *p, const void *in, void *out);

#endif
