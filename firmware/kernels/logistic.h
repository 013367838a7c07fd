#ifndef TQ_LOGISTIC_H
#define TQ_LOGISTIC_H

#include <stdint.h>

/* Shared by LOGISTIC and TANH: the input is rescaled to a Q4.27 fixed-point value. */
typedef struct {
    int32_t count;
    int32_t input_zero_point;
    int32_t input_range_radius;   /* |x - zp| at or beyond this saturates */
    int32_t input_multiplier;
    int32_t input_left_shift;
} tq_sigmoid_params;

/* int8 logistic, output scale 1/256 zero point -128 (TFLM's integer Logistic). May run in place. */
void tq_logistic_s8(const tq_sigmoid_params *p, const int8_t *in, int8_t *out);

#endif
