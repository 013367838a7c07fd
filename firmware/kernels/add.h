#ifndef TQ_ADD_H
#define TQ_ADD_H

#include <stdint.h>

#include "tq_broadcast.h"
#include "tq_s16.h"
#include "tq_common.h"

/* Both inputs are rescaled to a common scale with 20 bits of headroom (15 for int16), summed,
 * requantized. One struct for int8 and int16; act_min/act_max are in the output's type. */
typedef struct {
    tq_bcast shape;
    int32_t in1_offset, in2_offset;   /* -zero points */
    int32_t in1_mult, in1_shift;      /* shifts <= 0 */
    int32_t in2_mult, in2_shift;
    int32_t out_mult, out_shift;
    int32_t out_offset;
    int32_t left_shift;
    int32_t act_min, act_max;
} tq_add_params;

/* One element of the sum, in TFLM's arithmetic; also used by kernels with a fused residual add. */
static inline int8_t tq_add_one(const tq_add_params *p, int32_t x1, int32_t x2)
{
    const int32_t a = (int32_t)((uint32_t)(x1 + p->in1_offset) << p->left_shift);
    const int32_t b = (int32_t)((uint32_t)(x2 + p->in2_offset) << p->left_shift);
    const int32_t sum = tq_requantize_lt1(a, p->in1_mult, p->in1_shift) +
                        tq_requantize_lt1(b, p->in2_mult, p->in2_shift);
    const int32_t r = tq_requantize_lt1(sum, p->out_mult, p->out_shift) + p->out_offset;
    return (int8_t)TQ_CLAMP(r, p->act_min, p->act_max);
}

/* One int16 element: TFLM's AddElementwise<int16_t> (the general-scale path). */
static inline int16_t tq_add_one_s16(const tq_add_params *p, int32_t x1, int32_t x2)
{
    const int32_t a = (int32_t)((uint32_t)(x1 + p->in1_offset) << p->left_shift);
    const int32_t b = (int32_t)((uint32_t)(x2 + p->in2_offset) << p->left_shift);
    const int32_t sum = tq_requantize_lt1_fast(a, p->in1_mult, p->in1_shift) +
                        tq_requantize_lt1_fast(b, p->in2_mult, p->in2_shift);
    const int32_t r = tq_requantize_lt1_fast(sum, p->out_mult, p->out_shift) + p->out_offset;
    return (int16_t)TQ_CLAMP(r, p->act_min, p->act_max);
}

/* Bit-exact with TFLM's reference int8 Add (and its broadcast variant). May run in place. */
void tq_add_s8(const tq_add_params *p, const int8_t *in1, const int8_t *in2, int8_t *out);
/* int16, zero points 0, left_shift 15: TFLM's reference int16 Add / BroadcastAdd6DSlow with
 * general scales. May run in place. */
void tq_add_s16(const tq_add_params *p, const int16_t *in1, const int16_t *in2, int16_t *out);

#endif
