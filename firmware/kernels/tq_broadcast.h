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
