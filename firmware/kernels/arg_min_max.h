#ifndef TQ_ARG_MIN_MAX_H
#define TQ_ARG_MIN_MAX_H

#include <stdint.h>

typedef struct {
    int32_t outer, axis, inner;   /* the input as [outer, axis, inner] */
    int32_t is_min;               /* ARG_MIN (1) or ARG_MAX (0) */
} tq_arg_params;

/* ARG_MAX / ARG_MIN along one axis (TFLM's ArgMinMax: the first index of the extreme value), an
 * int32 or int64 index per [outer, inner] position. The output may not overlap the input. */
void tq_arg_s8_i32(const tq_arg_params *p, const int8_t *in, int32_t *out);
void tq_arg_s8_i64(const tq_arg_params *p, const int8_t *in, int64_t *out);
void tq_arg_s16_i32(const tq_arg_params *p, const int16_t *in, int32_t *out);
void tq_arg_s16_i64(const tq_arg_params *p, const int16_t *in, int64_t *out);
void tq_arg_s32_i32(const tq_arg_params *p, const int32_t *in, int32_t *out);
void tq_arg_s32_i64(const tq_arg_params *p, const int32_t *in, int64_t *out);

#endif
