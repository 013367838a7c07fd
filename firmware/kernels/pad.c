#include "pad.h"

#include <string.h>

/* `bytes` bytes of pad_value elements (elem_bytes 1: memset; 2: int16 stores, any alignment). */
static void fill(uint8_t *dst, int32_t value, int32_t bytes, int32_t elem_bytes)
{
    if (elem_bytes == 1) {
        memset(dst, value, (size_t)bytes);
        return;
    }
    const int16_t v = (int16_t)value;
    for (int32_t i = 0; i < bytes; i += 2) {
        memcpy(dst + i, &v, sizeof v);
    }
}

void tq_pad(const tq_pad_params *p, const void *in, void *out)
{
    const uint8_t *src = (const uint8_t *)in;
    uint8_t *dst = (uint8_t *)out;
    const int32_t *id = p->in_dims, *od = p->out_dims, *bf = p->before;
    const int32_t eb = p->elem_bytes;
    const int32_t row_out = od[4] * eb;
    const int32_t row_in = id[4] * eb;
    const int32_t left = bf[4] * eb;
    const int32_t right = row_out - left - row_in;
    for (int32_t a = 0; a < od[0]; ++a) {
        const int32_t ia = a - bf[0];
        for (int32_t b = 0; b < od[1]; ++b) {
            const int32_t ib = b - bf[1];
            for (int32_t c = 0; c < od[2]; ++c) {
                const int32_t ic = c - bf[2];
                for (int32_t d = 0; d < od[3]; ++d) {
                    const int32_t idd = d - bf[3];
                    if (ia < 0 || ia >= id[0] || ib < 0 || ib >= id[1] || ic < 0 || ic >= id[2] ||
                        idd < 0 || idd >= id[3]) {
                        fill(dst, p->pad_value, row_out, eb);   /* a row of padding only */
                    } else {
                        const int32_t row = ((ia * id[1] + ib) * id[2] + ic) * id[3] + idd;
                        fill(dst, p->pad_value, left, eb);
                        memcpy(dst + left, src + row * row_in, (size_t)row_in);
                        fill(dst + left + row_in, p->pad_value, right, eb);
                    }
                    dst += row_out;
                }
            }
        }
    }
}
