#include "arg_min_max.h"

#define TQ_ARG(NAME, TIN, TOUT)                                                        \
    void NAME(const tq_arg_params *p, const TIN *in, TOUT *out)                        \
    {                                                                                  \
        for (int32_t o = 0; o < p->outer; ++o) {                                       \
            for (int32_t i = 0; i < p->inner; ++i) {                                   \
                const TIN *x = in + (o * p->axis) * p->inner + i;                      \
                TIN best = x[0];                                                       \
                int32_t at = 0;                                                        \
                for (int32_t k = 1; k < p->axis; ++k) {                                \
                    const TIN v = x[k * p->inner];                                     \
                    if (p->is_min ? v < best : v > best) {                             \
                        best = v;                                                      \
                        at = k;                                                        \
                    }                                                                  \
                }                                                                      \
                out[o * p->inner + i] = (TOUT)at;                                      \
            }                                                                          \
        }                                                                              \
    }

TQ_ARG(tq_arg_s8_i32, int8_t, int32_t)
TQ_ARG(tq_arg_s8_i64, int8_t, int64_t)
TQ_ARG(tq_arg_s16_i32, int16_t, int32_t)
TQ_ARG(tq_arg_s16_i64, int16_t, int64_t)
TQ_ARG(tq_arg_s32_i32, int32_t, int32_t)
TQ_ARG(tq_arg_s32_i64, int32_t, int64_t)
