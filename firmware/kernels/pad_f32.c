#include "pad_f32.h"

void tq_pad_f32(const tq_pad_f32_params *p, const float *in, float *out)
{
    const int32_t *od = p->out_dims, *id = p->in_dims, *bf = p->before;
    for (int32_t a = 0; a < od[0]; ++a) {
        for (int32_t b = 0; b < od[1]; ++b) {
            for (int32_t c = 0; c < od[2]; ++c) {
                for (int32_t d = 0; d < od[3]; ++d) {
                    const int32_t ia = a - bf[0], ib = b - bf[1], ic = c - bf[2], idd = d - bf[3];
                    const int outer_in = ia >= 0 && ia < id[0] && ib >= 0 && ib < id[1] &&
                                         ic >= 0 && ic < id[2] && idd >= 0 && idd < id[3];
                    const float *row = !outer_in ? in : in + (((ia * id[1] + ib) * id[2] + ic) * id[3] + idd) * id[4];
                    for (int32_t e = 0; e < od[4]; ++e) {
                        const int32_t ie = e - bf[4];
                        *out++ = outer_in && ie >= 0 && ie < id[4] ? row[ie] : p->pad_value;
                    }
                }
            }
        }
    }
}
