#include "mean.h"

#include "tq_common.h"

/* Advances the odometer idx over dims (innermost last) and keeps *off = sum(idx * strides). */
static void step(int32_t rank, const int32_t *dims, const int32_t *strides, int32_t *idx, int32_t *off)
{
    for (int32_t d = rank - 1; d >= 0; --d) {
        *off += strides[d];
        if (++idx[d] < dims[d]) {
            return;
        }
        *off -= strides[d] * dims[d];
        idx[d] = 0;
    }
}

/* The mean of every output element, for one element type T: TFLM's QuantizedMeanOrSum is one
 * template for int8 and int16 (int32 sums, requantize, add the output zero point, saturate). */
#define TQ_DEFINE_MEAN(SUFFIX, T)                                                            \
    static int32_t window_sum_##SUFFIX(const tq_mean_params *p, const T *in)                 \
    {                                                                                         \
        int32_t acc = 0;                                                                      \
        if (p->red_rank == 1) {                                                               \
            /* the common case (global average pooling): one strided run */                   \
            const int32_t s = p->red_strides[0];                                              \
            for (int32_t r = 0; r < p->reduce; ++r) {                                         \
                acc += in[r * s];                                                             \
            }                                                                                 \
            return acc;                                                                       \
        }                                                                                     \
        int32_t idx[TQ_MEAN_MAX_DIMS] = {0};                                                  \
        int32_t off = 0;                                                                      \
        for (int32_t r = 0; r < p->reduce; ++r) {                                             \
            acc += in[off];                                                                   \
            step(p->red_rank, p->red_dims, p->red_strides, idx, &off);                        \
        }                                                                                     \
        return acc;                                                                           \
    }                                                                                         \
    void tq_mean_##SUFFIX(const tq_mean_params *p, const T *in, T *out)                      \
    {                                                                                         \
        const int32_t offset = p->input_zero_point * p->reduce;                               \
        int32_t idx[TQ_MEAN_MAX_DIMS] = {0};                                                  \
        int32_t base = 0;                                                                     \
        for (int32_t o = 0; o < p->out_count; ++o) {                                          \
            const int32_t acc = window_sum_##SUFFIX(p, in + base);                            \
            const int32_t v = tq_requantize(acc - offset, p->mult, (int)p->shift) + p->output_zero_point; \
            out[o] = tq_sat_##SUFFIX(v);                                                      \
            step(p->keep_rank, p->keep_dims, p->keep_strides, idx, &base);                    \
        }                                                                                     \
    }

TQ_DEFINE_MEAN(s8, int8_t)
TQ_DEFINE_MEAN(s16, int16_t)
