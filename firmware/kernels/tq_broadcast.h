/* Broadcasting for binary element-wise kernels: shapes padded to 4-D at generation time, with
 * stride 0 along the dimensions an input is broadcast over. */
#ifndef TQ_BROADCAST_H
#define TQ_BROADCAST_H

#include <stdint.h>

typedef struct {
    int32_t count;          /* output elements */
    int32_t broadcast;      /* 0: both inputs have the output's shape, walk them flat */
    int32_t dims[4];        /* output shape, 4-D */
    int32_t stride1[4];     /* element strides of input 1 (0 where broadcast) */
    int32_t stride2[4];
} tq_bcast;

/* How a fast element-wise kernel walks its operands (tinyq/ops/_elementwise.py, walk_of): both
 * inputs of the output's shape; input 2 (or 1) repeating every `period` output elements (it is
 * the output's trailing dimensions: a per-channel vector, a scalar), the other of the output's
 * shape; anything else (TQ_BROADCAST_LOOP). */
enum { TQ_WALK_FLAT = 0, TQ_WALK_PERIOD2 = 1, TQ_WALK_PERIOD1 = 2, TQ_WALK_GENERAL = 3 };

/* A fast walk (not TQ_WALK_GENERAL) of n outputs as calls RUN(a, b, dst, len, b_step, swap):
 * a has the output's shape, b advances with it (b_step 1) or is one element for all (b_step
 * 0, a scalar); swap 1 when the operands were swapped (PERIOD1: the repeating one is in1), so
 * that RUN takes the other input's constants. A per-channel vector runs one call per period,
 * unless ROWS(full, rep, dst, rows, swap) (an expression) takes all the rows and returns 1. */
#define TQ_WALK_FAST(walk, period, n, in1, in2, out, RUN, ROWS)                                 \
    do {                                                                                        \
        if ((walk) == TQ_WALK_FLAT) {                                                           \
            RUN((in1), (in2), (out), (n), 1, 0);                                                \
            break;                                                                              \
        }                                                                                       \
        const int tq_swap_ = (walk) == TQ_WALK_PERIOD1;                                         \
        const int8_t *tq_full_ = tq_swap_ ? (in2) : (in1), *tq_rep_ = tq_swap_ ? (in1) : (in2); \
        if ((period) == 1) {                                                                    \
            RUN(tq_full_, tq_rep_, (out), (n), 0, tq_swap_);                                    \
        } else if (!((n) >= (period) && (ROWS(tq_full_, tq_rep_, (out), (n) / (period), tq_swap_)))) { \
            for (int32_t tq_o_ = 0; tq_o_ < (n); tq_o_ += (period)) {                           \
                RUN(tq_full_ + tq_o_, tq_rep_, (out) + tq_o_, (period), 1, tq_swap_);           \
            }                                                                                   \
        }                                                                                       \
    } while (0)
/* for kernels with no row loop of their own */
#define TQ_WALK_NO_ROWS(full, rep, dst, rows, swap) 0

/* Runs STMT with i1, i2, o set to the element indices of input 1, input 2 and the output. */
#define TQ_BROADCAST_LOOP(b, STMT)                                                          \
    do {                                                                                    \
        if (!(b)->broadcast) {                                                              \
            for (int32_t o = 0; o < (b)->count; ++o) {                                      \
                const int32_t i1 = o, i2 = o;                                               \
                STMT;                                                                       \
            }                                                                               \
        } else {                                                                            \
            int32_t o = 0;                                                                  \
            for (int32_t d0 = 0; d0 < (b)->dims[0]; ++d0) {                                 \
                for (int32_t d1 = 0; d1 < (b)->dims[1]; ++d1) {                             \
                    for (int32_t d2 = 0; d2 < (b)->dims[2]; ++d2) {                         \
                        int32_t i1 = d0 * (b)->stride1[0] + d1 * (b)->stride1[1] + d2 * (b)->stride1[2]; \
                        int32_t i2 = d0 * (b)->stride2[0] + d1 * (b)->stride2[1] + d2 * (b)->stride2[2]; \
                        for (int32_t d3 = 0; d3 < (b)->dims[3]; ++d3, ++o,                  \
                             i1 += (b)->stride1[3], i2 += (b)->stride2[3]) {                \
                            STMT;                                                           \
                        }                                                                   \
                    }                                                                       \
                }                                                                           \
            }                                                                               \
        }                                                                                   \
    } while (0)

#endif /* TQ_BROADCAST_H */
