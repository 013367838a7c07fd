#include "mul.h"

#include "tq_common.h"

/* TFLM's reference integer Mul is one template for int8 and int16: (in1 + off1) * (in2 + off2)
 * in int32 (|product| <= 2^30 for int16), requantized, offset, clamped. */
#define TQ_DEFINE_MUL(SUFFIX, T)                                                                   \
    void tq_mul_##SUFFIX(const tq_mul_params *p, const T *in1, const T *in2, T *out)               \
    {                                                                                               \
        TQ_BROADCAST_LOOP(&p->shape, {                                                              \
            const int32_t prod = (in1[i1] + p->in1_offset) * (in2[i2] + p->in2_offset);             \
            const int32_t r = tq_requantize(prod, p->out_mult, p->out_shift) + p->out_offset;       \
            out[o] = (T)TQ_CLAMP(r, p->act_min, p->act_max);                                        \
        });                                                                                         \
    }

TQ_DEFINE_MUL(s8, int8_t)
TQ_DEFINE_MUL(s16, int16_t)
