#ifndef TQ_STRIDED_SLICE_H
#define TQ_STRIDED_SLICE_H

#include <stdint.h>

typedef struct {
    int32_t base;        /* input element offset of the first output element */
    int32_t count[5];    /* output extent along each of the 5 (padded) axes */
    int32_t step[5];     /* input element step along each axis (stride * axis stride, may be < 0) */
} tq_strided_slice_params;

/* STRIDED_SLICE: a 5-D strided gather; begin/end/masks resolved at generation time. base and
 * steps count elements, so one parameter struct serves int8 and int16. in and out must not
 * overlap. */
void tq_strided_slice_s8(const tq_strided_slice_params *p, const int8_t *in, int8_t *out);
void tq_strided_slice_s16(const tq_strided_slice_params *p, const int16_t *in, int16_t *out);

#endif
