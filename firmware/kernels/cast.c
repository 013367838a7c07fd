#include "cast.h"

/* Conversions C leaves undefined (a float outside the target's range) saturate here instead,
 * so the device never traps; TFLM's result there is undefined too. */
#define TQ_CAST_BODY(A, TA, B, TB, CONV)                                          \
    void tq_cast_##A##_##B(const tq_cast_params *p, const TA *in, TB *out)        \
    {                                                                             \
        for (int32_t i = p->count - 1; i >= 0; --i) {                             \
            const TA v = in[i];                                                   \
            out[i] = CONV;                                                        \
        }                                                                         \
    }

/* integer sources: through the unsigned target type (defined wrap-around, what the device's cast
 * does); float sources: NaN -> 0, saturated to the target's range, then truncated */
#define TQ_I2I(TB, UB) (TB)(UB)(v)
#define TQ_F2I(TB, LO, HI) (TB)((v) != (v) ? 0.0 : (double)(v) <= (double)(LO) ? (double)(LO) \
                                : (double)(v) >= (double)(HI) ? (double)(HI) : (double)(v))
#define TQ_CAST_INT_ROW(A, TA)                                                     \
    TQ_CAST_BODY(A, TA, s8, int8_t, TQ_I2I(int8_t, uint8_t))                      \
    TQ_CAST_BODY(A, TA, u8, uint8_t, TQ_I2I(uint8_t, uint8_t))                    \
    TQ_CAST_BODY(A, TA, s16, int16_t, TQ_I2I(int16_t, uint16_t))                  \
    TQ_CAST_BODY(A, TA, s32, int32_t, TQ_I2I(int32_t, uint32_t))                  \
    TQ_CAST_BODY(A, TA, s64, int64_t, TQ_I2I(int64_t, uint64_t))                  \
    TQ_CAST_BODY(A, TA, f32, float, (float)(v))                                   \
    TQ_CAST_BODY(A, TA, b, uint8_t, (uint8_t)((v) != 0))

TQ_CAST_INT_ROW(s8, int8_t)
TQ_CAST_INT_ROW(u8, uint8_t)
TQ_CAST_INT_ROW(s16, int16_t)
TQ_CAST_INT_ROW(s32, int32_t)
TQ_CAST_INT_ROW(s64, int64_t)
TQ_CAST_INT_ROW(b, uint8_t)
TQ_CAST_BODY(f32, float, s8, int8_t, TQ_F2I(int8_t, INT8_MIN, INT8_MAX))
TQ_CAST_BODY(f32, float, u8, uint8_t, TQ_F2I(uint8_t, 0, UINT8_MAX))
TQ_CAST_BODY(f32, float, s16, int16_t, TQ_F2I(int16_t, INT16_MIN, INT16_MAX))
TQ_CAST_BODY(f32, float, s32, int32_t, TQ_F2I(int32_t, INT32_MIN, INT32_MAX))
TQ_CAST_BODY(f32, float, s64, int64_t, TQ_F2I(int64_t, INT64_MIN, INT64_MAX))
TQ_CAST_BODY(f32, float, f32, float, v)
TQ_CAST_BODY(f32, float, b, uint8_t, (uint8_t)(v != 0.0f))
