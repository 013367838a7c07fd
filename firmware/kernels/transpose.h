#ifndef TQ_TRANSPOSE_H
#define TQ_TRANSPOSE_H

#include <stdint.h>

typedef struct {
    int32_t dims[6];      /* output shape, padded to 6-D with leading 1s */
    int32_t strides[6];   /* input element stride along each output dimension */
} tq_transpose_params;

/* TRANSPOSE, int8: walks the output in order, reading the permuted input (TFLM's Transpose). */
void tq_transpose_s8(const tq_transpose_params *p, const int8_t *in, int8_t *out);

#endif
