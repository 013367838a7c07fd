#ifndef TQ_CAST_H
#define TQ_CAST_H

#include <stdint.h>

typedef struct {
    int32_t count;
} tq_cast_params;

/* CAST: each value converted as C converts it (TFLM's static_cast; no quantization involved):
 * integers widen or wrap, float -> integer truncates toward zero, bool is 0/1. in and out must
 * not overlap unless both types have one size. One function per (input, output) pair:
 * tq_cast_<in>_<out>, types s8 u8 s16 s32 s64 f32 b (bool). */
#define TQ_CAST_DECL(A, TA, B, TB) void tq_cast_##A##_##B(const tq_cast_params *p, const TA *in, TB *out);
#define TQ_CAST_FOR_OUT(A, TA)                                                                     \
    TQ_CAST_DECL(A, TA, s8, int8_t) TQ_CAST_DECL(A, TA, u8, uint8_t) TQ_CAST_DECL(A, TA, s16, int16_t) \
    TQ_CAST_DECL(A, TA, s32, int32_t) TQ_CAST_DECL(A, TA, s64, int64_t) TQ_CAST_DECL(A, TA, f32, float) \
    TQ_CAST_DECL(A, TA, b, uint8_t)
TQ_CAST_FOR_OUT(s8, int8_t)
TQ_CAST_FOR_OUT(u8, uint8_t)
TQ_CAST_FOR_OUT(s16, int16_t)
TQ_CAST_FOR_OUT(s32, int32_t)
TQ_CAST_FOR_OUT(s64, int64_t)
TQ_CAST_FOR_OUT(f32, float)
TQ_CAST_FOR_OUT(b, uint8_t)

#endif
