#include "compare.h"

#include "tq_common.h"

static uint8_t decide(int32_t kind, int64_t a, int64_t b)
{
    switch (kind) {
    case TQ_EQUAL: return a == b;
    case TQ_NOT_EQUAL: return a != b;
    case TQ_GREATER: return a > b;
    case TQ_GREATER_EQUAL: return a >= b;
    case TQ_LESS: return a < b;
    default: return a <= b;
    }
}

static int32_t scaled(int32_t q, int32_t offset, int32_t mult, int32_t shift)
{
    return tq_requantize_lt1((q + offset) * (1 << 8), mult, (int)shift);
}

void tq_compare_s8(const tq_compare_params *p, const int8_t *a, const int8_t *b, uint8_t *out)
{
    TQ_BROADCAST_LOOP(&p->shape, out[o] = decide(p->kind, scaled(a[i1], p->in1_offset, p->in1_mult, p->in1_shift),
                                                 scaled(b[i2], p->in2_offset, p->in2_mult, p->in2_shift)));
}

void tq_compare_s32(const tq_compare_params *p, const int32_t *a, const int32_t *b, uint8_t *out)
{
    TQ_BROADCAST_LOOP(&p->shape, out[o] = decide(p->kind, a[i1], b[i2]));
}

void tq_compare_u8(const tq_compare_params *p, const uint8_t *a, const uint8_t *b, uint8_t *out)
{
    TQ_BROADCAST_LOOP(&p->shape, out[o] = decide(p->kind, a[i1] != 0, b[i2] != 0));
}

void tq_logical_u8(const tq_compare_params *p, const uint8_t *a, const uint8_t *b, uint8_t *out)
{
    if (p->kind == 0) {
        TQ_BROADCAST_LOOP(&p->shape, out[o] = (uint8_t)(a[i1] && b[i2]));
    } else {
        TQ_BROADCAST_LOOP(&p->shape, out[o] = (uint8_t)(a[i1] || b[i2]));
    }
}

void tq_logical_not_u8(const tq_compare_params *p, const uint8_t *a, uint8_t *out)
{
    for (int32_t i = 0; i < p->shape.count; ++i) {
        out[i] = (uint8_t)!a[i];
    }
}
