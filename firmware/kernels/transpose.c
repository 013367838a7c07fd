#include "transpose.h"

void tq_transpose_s8(const tq_transpose_params *p, const int8_t *in, int8_t *out)
{
    const int32_t *d = p->dims, *s = p->strides;
    for (int32_t a = 0; a < d[0]; ++a) {
        for (int32_t b = 0; b < d[1]; ++b) {
            for (int32_t c = 0; c < d[2]; ++c) {
                for (int32_t e = 0; e < d[3]; ++e) {
                    for (int32_t f = 0; f < d[4]; ++f) {
                        const int8_t *src = in + a * s[0] + b * s[1] + c * s[2] + e * s[3] + f * s[4];
                        for (int32_t h = 0; h < d[5]; ++h) {
                            *out++ = src[h * s[5]];
                        }
                    }
                }
            }
        }
    }
}
