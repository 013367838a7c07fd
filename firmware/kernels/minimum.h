#ifndef TQ_MINIMUM_H
#define TQ_MINIMUM_H

#include <stdint.h>

#include "tq_broadcast.h"

/* MINIMUM, int8, with broadcasting: the smaller raw value. TFLM compares the stored int8 values
 * without requantizing (the converter gives both inputs the output's quantization). */
typedef struct {
    tq_bcast shape;
} tq_minimum_params;

void tq_minimum_s8(const tq_minimum_params *p, const int8_t *in1, const int8_t *in2, int8_t *out);

#endif
