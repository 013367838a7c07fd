#include "gather.h"

#include <string.h>

static int32_t clamp_index(int64_t v, int32_t size)
{
    return v < 0 ? 0 : (v >= size ? size - 1 : (int32_t)v);
}

#define TQ_GATHER(NAME, TIDX)                                                                    \
    void NAME(const tq_gather_params *p, const void *params, const TIDX *index, void *out)       \
    {                                                                                            \
        const uint8_t *src = (const uint8_t *)params;                                            \
        uint8_t *dst = (uint8_t *)out;                                                           \
        const int32_t inner = p->inner, count = p->count, axis_size = p->axis_size;              \
        for (int32_t b = 0; b < p->batches; ++b) {                                               \
            const TIDX *idx = index + (int32_t)(b * count);                                      \
            for (int32_t o = 0; o < p->outer; ++o) {                                             \
                const uint8_t *base = src + ((size_t)b * (size_t)p->outer + (size_t)o) *         \
                                                (size_t)axis_size * (size_t)inner;               \
                for (int32_t k = 0; k < count; ++k) {                                            \
                    memcpy(dst, base + (size_t)clamp_index((int64_t)idx[k], axis_size) *         \
                                            (size_t)inner, (size_t)inner);                       \
                    dst += inner;                                                                \
                }                                                                                \
            }                                                                                    \
        }                                                                                        \
    }

TQ_GATHER(tq_gather_i32, int32_t)
TQ_GATHER(tq_gather_i64, int64_t)

void tq_gather_nd_i32(const tq_gather_nd_params *p, const void *params, const int32_t *index, void *out)
{
    const uint8_t *src = (const uint8_t *)params;
    uint8_t *dst = (uint8_t *)out;
    for (int32_t k = 0; k < p->count; ++k) {
        size_t off = 0;
        for (int32_t j = 0; j < p->depth; ++j) {
            off += (size_t)clamp_index(index[k * p->depth + j], p->dims[j]) * (size_t)p->strides[j];
        }
        memcpy(dst, src + off, (size_t)p->slice);
        dst += p->slice;
    }
}
