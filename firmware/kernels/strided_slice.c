#include "strided_slice.h"

void tq_strided_slice_s8(const tq_strided_slice_params *p, const int8_t *in, int8_t *out)
{
    const int32_t *n = p->count, *s = p->step;
    for (int32_t a = 0; a < n[0]; ++a) {
        for (int32_t b = 0; b < n[1]; ++b) {
            for (int32_t c = 0; c < n[2]; ++c) {
                for (int32_t d = 0; d < n[3]; ++d) {
                    const int8_t *src = in + p->base + a * s[0] + b * s[1] + c * s[2] + d * s[3];
                    for (int32_t e = 0; e < n[4]; ++e) {
                        *out++ = src[e * s[4]];
                    }
                }
            }
        }
    }
}

void tq_strided_slice_s16(const tq_strided_slice_params *p, const int16_t *in, int16_t *out)
{
    const int32_t *n = p->count, *s = p->step;
    for (int32_t a = 0; a < n[0]; ++a) {
        for (int32_t b = 0; b < n[1]; ++b) {
            for (int32_t c = 0; c < n[2]; ++c) {
                for (int32_t d = 0; d < n[3]; ++d) {
                    const int16_t *src = in + p->base + a * s[0] + b * s[1] + c * s[2] + d * s[3];
                    for (int32_t e = 0; e < n[4]; ++e) {
                        *out++ = src[e * s[4]];
                    }
                }
            }
        }
    }
}
