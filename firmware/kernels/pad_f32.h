/* float32 PAD / PADV2: the input copied into the output at offset `before` in each of up to 5
 * dimensions (shapes padded with leading 1s), the rest filled with pad_value. in and out must
 * not overlap. */
#ifndef TQ_PAD_F32_H
#define TQ_PAD_F32_H

#include <stdint.h>

typedef struct {
    int32_t in_dims[5];
    int32_t out_dims[5];
    int32_t before[5];
    float pad_value;
} tq_pad_f32_params;

void tq_pad_f32(const tq_pad_f32_params *p, const float *in, float *out);

#endif /* TQ_PAD_F32_H */
