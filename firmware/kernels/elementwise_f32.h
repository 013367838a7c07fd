/* float32 element-wise kernels: ADD, SUB, MUL (broadcasting as tq_broadcast.h, then the fused
 * activation clamp), the clamps RELU / RELU6 / RELU_N1_TO_1, LEAKY_RELU, LOGISTIC and TANH.
 * Each output element depends on the same-index input elements only, so every kernel may run in
 * place (out == an input of the output's shape); inputs are otherwise not overlapped. */
#ifndef TQ_ELEMENTWISE_F32_H
#define TQ_ELEMENTWISE_F32_H

#include <stdint.h>

#include "tq_broadcast.h"

typedef struct {
    tq_bcast bc;
    float act_min, act_max;
} tq_binary_f32_params;

typedef struct {
    int32_t count;
    float lo, hi;       /* clamp bounds (RELU: 0, +inf) */
    float alpha;        /* LEAKY_RELU's slope below 0 */
} tq_unary_f32_params;

void tq_add_f32(const tq_binary_f32_params *p, const float *a, const float *b, float *out);
void tq_sub_f32(const tq_binary_f32_params *p, const float *a, const float *b, float *out);
void tq_mul_f32(const tq_binary_f32_params *p, const float *a, const float *b, float *out);

void tq_clamp_f32(const tq_unary_f32_params *p, const float *in, float *out);
void tq_leaky_relu_f32(const tq_unary_f32_params *p, const float *in, float *out);
/* 1 / (1 + e^-x) and tanh(x) through tq_expf (tq_f32.h) */
void tq_logistic_f32(const tq_unary_f32_params *p, const float *in, float *out);
void tq_tanh_f32(const tq_unary_f32_params *p, const float *in, float *out);

#endif /* TQ_ELEMENTWISE_F32_H */
