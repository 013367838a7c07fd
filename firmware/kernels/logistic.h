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

/* int16 LOGISTIC and TANH (TFLM's reference_integer_ops for 16x8: zero points 0, output scale
 * 2^-15): the input rescaled to units of 1/(3 * 4096), then linear interpolation in TFLite's
 * 256-entry sigmoid table (tanh(x) = 2 sigmoid(2x) - 1 reads the same table). */
typedef struct {
    int32_t count;
    int32_t input_multiplier;     /* <= 32767: input * multiplier stays in int32 */
    int32_t input_left_shift;     /* a rounding right shift, despite TFLM's name */
    const uint16_t *table;        /* sigmoid(i / 24) in 0.16, i = 0..255 */
} tq_sigmoid_s16_params;

void tq_logistic_s16(const tq_sigmoid_s16_params *p, const int16_t *in, int16_t *out);

#endif
