#ifndef TQ_TANH_H
#define TQ_TANH_H

#include <stdint.h>

#include "logistic.h"

/* int8 tanh, output scale 1/128 zero point 0 (TFLM's integer Tanh). May run in place. */
void tq_tanh_s8(const tq_sigmoid_params *p, const int8_t *in, int8_t *out);
/* int16 tanh, output scale 2^-15 (see tq_sigmoid_s16_params). May run in place. */
void tq_tanh_s16(const tq_sigmoid_s16_params *p, const int16_t *in, int16_t *out);

#endif
