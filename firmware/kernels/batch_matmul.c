#include "batch_matmul.h"

#include "tq_common.h"

void tq_batch_matmul_s8(const tq_batch_matmul_params *p, const int8_t *lhs, const int8_t *rhs, int8_t *out)
{
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *l = lhs + p->lhs_batch[b], *r = rhs + p->rhs_batch[b];
        for (int32_t i = 0; i < p->rows; ++i) {
            for (int32_t j = 0; j < p->cols; ++j) {
                int32_t acc = 0;
                for (int32_t k = 0; k < p->depth; ++k) {
                    acc += ((int32_t)l[i * p->lhs_row + k * p->lhs_k] + p->lhs_offset) *
                           ((int32_t)r[k * p->rhs_k + j * p->rhs_col] + p->rhs_offset);
                }
                const int32_t v = tq_requantize(acc, p->mult, (int)p->shift) + p->out_offset;
                *out++ = (int8_t)TQ_CLAMP(v, p->act_min, p->act_max);
            }
        }
    }
}
