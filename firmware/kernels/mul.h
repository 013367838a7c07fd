#ifndef TQ_MUL_H
#define TQ_MUL_H

#include <stdint.h>

#include "tq_broadcast.h"

typedef struct {
    tq_bcast shape;
    int32_t in1_offset, in2_offset;   /* -zero points */
    int32_t out_mult, out_shift;      /* in1_scale * in2_scale / out_scale */
    int32_t out_offset;
    int32_t act_min, act_max;
} tq_mul_params;

/* Bit-exact with TFLM's reference int8 Mul (and its broadcast variant). May run in place. */
void tq_mul_s8(const tq_mul_params *p, const int8_t *in1, const int8_t *in2, int8_t *out);
/* The same for int16 (16x8 models: zero points 0). */
void tq_mul_s16(const tq_mul_params *p, const int16_t *in1, const int16_t *in2, int16_t *out);

#endif
