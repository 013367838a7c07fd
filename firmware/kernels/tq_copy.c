#include "tq_copy.h"

#include <string.h>

void tq_copy_nd(const tq_copy_params *p, const void *in, void *out)
{
    const int32_t rank = p->rank, elem = p->elem, last = rank - 1;
    const int32_t n = p->dims[last], is = p->in_strides[last], os = p->out_strides[last];
    const int contiguous = is == elem && os == elem;
    int32_t idx[TQ_COPY_MAX_RANK] = {0};
    const uint8_t *src = (const uint8_t *)in;
    uint8_t *dst = (uint8_t *)out;
    for (;;) {
        if (contiguous) {
            memcpy(dst, src, (size_t)n * (size_t)elem);
        } else {
            const uint8_t *s = src;
            uint8_t *d = dst;
            for (int32_t i = 0; i < n; ++i, s += is, d += os) {
                memcpy(d, s, (size_t)elem);
            }
        }
        /* the odometer over the outer dimensions, last-but-one fastest */
        int32_t k = last - 1;
        while (k >= 0) {
            src += p->in_strides[k];
            dst += p->out_strides[k];
            if (++idx[k] < p->dims[k]) {
                break;
            }
            src -= (intptr_t)p->in_strides[k] * p->dims[k];
            dst -= (intptr_t)p->out_strides[k] * p->dims[k];
            idx[k] = 0;
            --k;
        }
        if (k < 0) {
            return;
        }
    }
}
