#ifndef TQ_CONCATENATION_H
#define TQ_CONCATENATION_H

#include <stdint.h>

typedef struct {
    int32_t outer;            /* product of the dimensions before the axis */
    int32_t num_inputs;
    const int32_t *chunk;     /* bytes each input contributes per outer step */
} tq_concat_params;

/* CONCATENATION: interleaves each input's chunk per outer index (TFLM copies int8 bytes as-is). */
void tq_concatenation(const tq_concat_params *p, const int8_t *const *inputs, int8_t *out);

#endif
