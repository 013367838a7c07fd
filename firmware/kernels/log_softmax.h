#ifndef TQ_LOG_SOFTMAX_H
#define TQ_LOG_SOFTMAX_H

#include <stdint.h>

typedef struct {
    int32_t outer, depth;                /* rows, and elements per row (the last axis) */
    int32_t input_multiplier, input_left_shift;   /* scale * 2^26, QuantizeMultiplierGreaterThanOne */
    int32_t reverse_multiplier, reverse_shift;    /* its inverse, QuantizeMultiplierSmallerThanOneExp */
    int32_t diff_min;                    /* -CalculateInputRadius(5, input_left_shift) */
} tq_log_softmax_params;

/* LOG_SOFTMAX, int8 (TFLM's LogSoftmaxQuantized): per row, the differences to the row's maximum
 * in Q5.26, the sum of their exps in Q12.19, its log in Q5.26, and (diff - log) rescaled to the
 * output's 16/256 steps from 127; differences too small to matter give -128. in and out must
 * not overlap. */
void tq_log_softmax_s8(const tq_log_softmax_params *p, const int8_t *in, int8_t *out);

#endif
