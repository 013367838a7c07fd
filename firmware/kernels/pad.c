#include "pad.h"

#include <string.h>

void tq_pad(const tq_pad_params *p, const void *in, void *out)
{
    const uint8_t *src = (const uint8_t *)in;
    uint8_t *dst = (uint8_t *)out;
    const int32_t eb = p->elem_bytes;
    const int32_t row_out = p->out_dims[3] * eb;
    const int32_t row_in = p->in_dims[3] * eb;
    const int32_t left = p->before[3] * eb;
    const int32_t right = row_out - left - row_in;
    for (int32_t a = 0; a < p->out_dims[0]; ++a) {
        const int32_t ia = a - p->before[0];
        for (int32_t b = 0; b < p->out_dims[1]; ++b) {
            const int32_t ib = b - p->before[1];
            for (int32_t c = 0; c < p->out_dims[2]; ++c) {
                const int32_t ic = c - p->before[2];
                if (ia < 0 || ia >= p->in_dims[0] || ib < 0 || ib >= p->in_dims[1] ||
                    ic < 0 || ic >= p->in_dims[2]) {
                    memset(dst, p->pad_value, (size_t)row_out);
                } else {
                    memset(dst, p->pad_value, (size_t)left);
                    memcpy(dst + left, src + ((ia * p->in_dims[1] + ib) * p->in_dims[2] + ic) * row_in,
                           (size_t)row_in);
                    memset(dst + left + row_in, p->pad_value, (size_t)right);
                }
                dst += row_out;
            }
        }
    }
}
