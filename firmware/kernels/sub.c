#include "sub.h"

#include "tq_common.h"
#include "tq_s16.h"

/* TFLM's Sub is one template for int8 and int16: both inputs to a common scale (left shift,
 * then each input's multiplier), subtract, requantize, offset, clamp. */
#define TQ_DEFINE_SUB(SUFFIX, T)                                                                      \
    void tq_sub_##SUFFIX(const tq_sub_params *p, const T *in1, const T *in2, T *out)                  \
    {                                                                                                  \
        TQ_BROADCAST_LOOP(&p->shape, {                                                                 \
            const int32_t a = (int32_t)((uint32_t)(in1[i1] + p->in1_offset) << p->left_shift);        \
            const int32_t b = (int32_t)((uint32_t)(in2[i2] + p->in2_offset) << p->left_shift);        \
            const int32_t diff = tq_requantize_lt1_fast(a, p->in1_mult, p->in1_shift) -                \
                                 tq_requantize_lt1_fast(b, p->in2_mult, p->in2_shift);                 \
            const int32_t r = tq_requantize_lt1_fast(diff, p->out_mult, p->out_shift) + p->out_offset; \
            out[o] = (T)TQ_CLAMP(r, p->act_min, p->act_max);                                           \
        });                                                                                            \
    }

TQ_DEFINE_SUB(s8, int8_t)
TQ_DEFINE_SUB(s16, int16_t)
