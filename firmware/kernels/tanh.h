#ifndef TQ_TANH_H
#define TQ_TANH_H

#include <stdint.h>

#include "logistic.h"

/* int8 tanh, output scale 1/128 zero point 0 (TFLM's integer Tanh). May run in place. */
void tq_tanh_s8(const tq_sigmoid_params *p, const int8_t *in, int8_t *out);

#endif
