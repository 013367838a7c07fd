#ifndef TQ_HARD_SWISH_H
#define TQ_HARD_SWISH_H

#include <stdint.h>

typedef struct {
    int32_t count;
    int32_t input_zero_point;
    int32_t output_zero_point;
    int32_t reluish_mult;       /* Q15 */
    int32_t reluish_exponent;
    int32_t output_mult;        /* Q15 */
    int32_t output_exponent;    /* <= 0 */
} tq_hard_swish_params;

/* x * relu6(x + 3) / 6 in 16-bit fixed point, as TFLM's reference HardSwish. May run in place. */
void tq_hard_swish_s8(const tq_hard_swish_params *p, const int8_t *in, int8_t *out);

#endif
