#include "select.h"

#include <string.h>

void tq_select(const tq_select_params *p, const uint8_t *cond, const void *x, const void *y, void *out)
{
    const int32_t *d = p->dims, *cs = p->cond_strides, *xs = p->x_strides, *ys = p->y_strides;
    const size_t elem = (size_t)p->elem;
    uint8_t *dst = (uint8_t *)out;
    for (int32_t a = 0; a < d[0]; ++a) {
        for (int32_t b = 0; b < d[1]; ++b) {
            for (int32_t c = 0; c < d[2]; ++c) {
                for (int32_t e = 0; e < d[3]; ++e) {
                    const int32_t ic = a * cs[0] + b * cs[1] + c * cs[2] + e * cs[3];
                    const uint8_t *src = cond[ic]
                        ? (const uint8_t *)x + (size_t)(a * xs[0] + b * xs[1] + c * xs[2] + e * xs[3]) * elem
                        : (const uint8_t *)y + (size_t)(a * ys[0] + b * ys[1] + c * ys[2] + e * ys[3]) * elem;
                    memcpy(dst, src, elem);
                    dst += elem;
                }
            }
        }
    }
}
