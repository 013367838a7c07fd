#ifndef TQ_MAXIMUM_H
#define TQ_MAXIMUM_H

#include <stdint.h>

#include "tq_broadcast.h"

/* MAXIMUM, int8, with broadcasting: the larger raw value. TFLM compares the stored int8 values
 * without requantizing (the converter gives both inputs the output's quantization). */
typedef struct {
    tq_bcast shape;
} tq_maximum_params;

void tq_maximum_s8(const tq_maximum_params *p, const int8_t *in1, const int8_t *in2, int8_t *out);

#endif
