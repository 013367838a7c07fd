#include "resize_bilinear.h"

void tq_resize_bilinear_s8(const tq_resize_bilinear_params *p, const int8_t *in, int8_t *out)
{
    const int32_t depth = p->depth, row = p->in_w * depth;
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *image = in + b * p->in_h * row;
        for (int32_t y = 0; y < p->out_h; ++y) {
            const int32_t *ry = p->rows + 3 * y;
            const int8_t *r0 = image + ry[0] * row, *r1 = image + ry[1] * row;
            const int32_t fy = ry[2], gy = 1024 - fy;
            for (int32_t x = 0; x < p->out_w; ++x) {
                const int32_t *cx = p->cols + 3 * x;
                const int32_t fx = cx[2], gx = 1024 - fx;
                const int32_t w00 = gy * gx, w10 = fy * gx, w01 = gy * fx, w11 = fy * fx;
                const int8_t *a = r0 + cx[0] * depth, *bb = r1 + cx[0] * depth;
                const int8_t *c = r0 + cx[1] * depth, *e = r1 + cx[1] * depth;
                for (int32_t k = 0; k < depth; ++k) {
                    const int32_t v = a[k] * w00 + bb[k] * w10 + c[k] * w01 + e[k] * w11;
                    const int32_t r = v > 0 ? (1 << 19) : -(1 << 19);
                    *out++ = (int8_t)((v + r) / (1 << 20));
                }
            }
        }
    }
}
