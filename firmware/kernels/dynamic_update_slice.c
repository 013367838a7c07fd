#include "dynamic_update_slice.h"

#include <string.h>

void tq_dynamic_update_slice(const tq_dus_params *p, const void *operand, const void *update,
                             const void *indices, void *out)
{
    const int32_t rank = p->rank, elem = p->elem;
    int32_t start[6], stride[6], idx[6] = {0};
    if (out != operand) {
        /* the arena may put the output below the operand, overlapping it (Overlap delta 0):
         * a forward copy, memmove, not memcpy */
        memmove(out, operand, (size_t)p->bytes);
    }
    int32_t s = elem, total = 1;
    for (int32_t d = rank - 1; d >= 0; --d) {
        stride[d] = s;
        s *= p->dims[d];
        total *= p->upd[d];
        const int64_t v = p->index_is_64 ? ((const int64_t *)indices)[d] : ((const int32_t *)indices)[d];
        const int64_t hi = p->dims[d] - p->upd[d];
        start[d] = (int32_t)(v < 0 ? 0 : (v > hi ? hi : v));
    }
    if (total == 0) {
        return;
    }
    /* rows of the update's last dimension, one memcpy each */
    const int32_t row = p->upd[rank - 1] * elem;
    const uint8_t *src = (const uint8_t *)update;
    uint8_t *dst = (uint8_t *)out;
    for (int32_t n = 0; n < total / p->upd[rank - 1]; ++n) {
        size_t off = 0;
        for (int32_t d = 0; d < rank; ++d) {
            off += (size_t)(start[d] + (d == rank - 1 ? 0 : idx[d])) * (size_t)stride[d];
        }
        memcpy(dst + off, src, (size_t)row);
        src += row;
        for (int32_t d = rank - 2; d >= 0; --d) {
            if (++idx[d] < p->upd[d]) {
                break;
            }
            idx[d] = 0;
        }
    }
}
