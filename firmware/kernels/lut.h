#ifndef TQ_LUT_H
#define TQ_LUT_H

#include <stdint.h>

/* An int8 -> int8 element-wise op as a 256-entry table, computed at generation time with the op's
 * own TFLM arithmetic on every possible input (LEAKY_RELU, RELU, ABS, NEG, RSQRT, ELU, ...): exact
 * by construction, about 3 instructions per element instead of a requantization each. */
typedef struct {
    int32_t count;
    const int8_t *table;    /* table[(uint8_t)x] = f(x) */
} tq_lut_params;

/* out[i] = table[(uint8_t)in[i]]. May run in place (each element is read before it is written). */
void tq_lut_s8(const tq_lut_params *p, const int8_t *in, int8_t *out);

typedef struct {
    int32_t count;
    int32_t input_offset, output_offset;   /* -zp_in, zp_out (0 for int16) */
    int32_t rescale;                       /* 0: in and out have one scale */
    int32_t mult, shift;                   /* else scale_in / scale_out */
} tq_abs_params;

/* ABS, int16 (TFLM's AbsEvalQuantized: |x - zp| rescaled when the scales differ, + zp_out,
 * saturated). May run in place. */
void tq_abs_s16(const tq_abs_params *p, const int16_t *in, int16_t *out);

#endif
