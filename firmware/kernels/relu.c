#include "relu.h"

#include "tq_common.h"

/* TFLM's ReluQuantized<T> and Relu6Quantized<T> are one template for int8 and int16. */
#define TQ_DEFINE_RELU(SUFFIX, T)                                                                  \
    void tq_relu_##SUFFIX(const tq_relu_params *p, const T *in, T *out)                            \
    {                                                                                               \
        for (int32_t i = 0; i < p->count; ++i) {                                                    \
            const int32_t v = p->output_offset +                                                    \
                              tq_requantize((int32_t)in[i] - p->input_offset, p->mult, p->shift);  \
            out[i] = (T)TQ_CLAMP(v, p->act_min, p->act_max);                                        \
        }                                                                                           \
    }                                                                                               \
    void tq_clamp_##SUFFIX(const tq_clamp_params *p, const T *in, T *out)                          \
    {                                                                                               \
        const int32_t count = p->count, lo = p->lo, hi = p->hi;                                     \
        for (int32_t i = 0; i < count; ++i) {                                                       \
            out[i] = (T)TQ_CLAMP((int32_t)in[i], lo, hi);                                           \
        }                                                                                           \
    }

TQ_DEFINE_RELU(s8, int8_t)
TQ_DEFINE_RELU(s16, int16_t)
