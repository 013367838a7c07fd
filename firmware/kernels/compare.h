#ifndef TQ_COMPARE_H
#define TQ_COMPARE_H

#include <stdint.h>

#include "tq_broadcast.h"

enum { TQ_EQUAL, TQ_NOT_EQUAL, TQ_GREATER, TQ_GREATER_EQUAL, TQ_LESS, TQ_LESS_EQUAL };

typedef struct {
    tq_bcast shape;
    int32_t kind;                          /* TQ_EQUAL ... TQ_LESS_EQUAL */
    int32_t in1_offset, in1_mult, in1_shift;   /* quantized inputs: -zp, scale as  */
    int32_t in2_offset, in2_mult, in2_shift;   /* QuantizeMultiplierSmallerThanOneExp */
} tq_compare_params;

/* Comparisons with a bool (one byte, 0/1) output, broadcasting. int8: TFLM's
 * *WithScaling: each input (x - zp) << 8 rescaled by its own scale, then compared. int32 and
 * bool (uint8): the raw values. The output may not overlap the inputs. */
void tq_compare_s8(const tq_compare_params *p, const int8_t *a, const int8_t *b, uint8_t *out);
void tq_compare_s32(const tq_compare_params *p, const int32_t *a, const int32_t *b, uint8_t *out);
void tq_compare_u8(const tq_compare_params *p, const uint8_t *a, const uint8_t *b, uint8_t *out);

/* LOGICAL_AND / LOGICAL_OR (kind 0 / 1) on bool bytes with broadcasting, LOGICAL_NOT element-wise
 * (count in shape.count). Each may run in place on an input of the output's shape. */
void tq_logical_u8(const tq_compare_params *p, const uint8_t *a, const uint8_t *b, uint8_t *out);
void tq_logical_not_u8(const tq_compare_params *p, const uint8_t *a, uint8_t *out);

#endif
