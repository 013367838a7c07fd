#ifndef TQ_BATCH_MATMUL_H
#define TQ_BATCH_MATMUL_H

#include <stdint.h>

typedef struct {
    int32_t batches, rows, cols, depth;  /* out[b] is rows x cols, a sum over depth */
    int32_t lhs_row, lhs_k;              /* element strides of lhs along a row index and along k */
    int32_t rhs_k, rhs_col;              /* ... of rhs along k and along a column index */
    const int32_t *lhs_batch;            /* per output batch, the element offset of its lhs matrix */
    const int32_t *rhs_batch;            /* ... and of its rhs matrix (broadcast batches repeat) */
    int32_t lhs_offset, rhs_offset;      /* -zp */
    int32_t mult, shift, out_offset, act_min, act_max;
} tq_batch_matmul_params;

/* BATCH_MATMUL, int8 (TFLM's reference BatchMatMul): out[b][i][j] = requantize(sum_k
 * (lhs[b][i][k] - zp_l) (rhs[b][k][j] - zp_r)) with adj_x / adj_y and batch broadcasting folded
 * into the strides and offset tables. out must not overlap the inputs. */
void tq_batch_matmul_s8(const tq_batch_matmul_params *p, const int8_t *lhs, const int8_t *rhs, int8_t *out);

#endif
