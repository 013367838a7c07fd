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
 * inputs of the output's shape; input 2 (PERIOD2, or 1: PERIOD1) repeating every `period`
 * output elements (it is the output's trailing dimensions: a per-channel vector, a scalar), the
 * other of the output's shape; input 2 (SPREAD2, or 1) holding one element for every `period`
 * consecutive outputs (it is the output's leading dimensions: a per-pixel factor); anything
 * else (TQ_BROADCAST_LOOP). */
enum {
    TQ_WALK_FLAT = 0, TQ_WALK_PERIOD2 = 1, TQ_WALK_PERIOD1 = 2, TQ_WALK_GENERAL = 3,
    TQ_WALK_SPREAD2 = 4, TQ_WALK_SPREAD1 = 5
};

/* A repeating operand whose period is not a multiple of 4 is copied (on the stack) this many
 * times over as one period of lcm(period, 4) bytes, when that fits: the kernels' 4-element
 * steps then cover whole rows. */
#define TQ_WALK_EXT 128

/* A fast walk (not TQ_WALK_GENERAL) of n outputs as calls RUN(a, b, dst, len, b_step, swap):
 * a has the output's shape, b advances with it (b_step 1) or is one element for all len
 * (b_step 0); swap 1 when the operands were swapped (PERIOD1, SPREAD1: the broadcast one is
 * in1), so that RUN takes the other input's constants. A repeating operand runs one call per
 * period, unless ROWS(full, rep, dst, rows, period, swap) (an expression) takes all those rows
 * and returns 1. */
#define TQ_WALK_FAST(walk, period, n, in1, in2, out, RUN, ROWS)                                 \
    do {                                                                                        \
        if ((walk) == TQ_WALK_FLAT) {                                                           \
            RUN((in1), (in2), (out), (n), 1, 0);                                                \
            break;                                                                              \
        }                                                                                       \
        const int tq_swap_ = (walk) == TQ_WALK_PERIOD1 || (walk) == TQ_WALK_SPREAD1;            \
        const int8_t *tq_full_ = tq_swap_ ? (in2) : (in1), *tq_rep_ = tq_swap_ ? (in1) : (in2); \
        if ((walk) == TQ_WALK_SPREAD1 || (walk) == TQ_WALK_SPREAD2) {                           \
            for (int32_t tq_o_ = 0, tq_j_ = 0; tq_o_ < (n); tq_o_ += (period), ++tq_j_) {       \
                RUN(tq_full_ + tq_o_, tq_rep_ + tq_j_, (out) + tq_o_, (period), 0, tq_swap_);   \
            }                                                                                   \
        } else if ((period) == 1) {                                                             \
            RUN(tq_full_, tq_rep_, (out), (n), 0, tq_swap_);                                    \
        } else {                                                                                \
            int8_t tq_ext_[TQ_WALK_EXT];                                                        \
            const int8_t *tq_r_ = tq_rep_;                                                      \
            int32_t tq_p_ = (period);                                                           \
            if (tq_p_ % 4 && 4 * tq_p_ <= TQ_WALK_EXT) {                                        \
                tq_p_ *= tq_p_ % 2 ? 4 : 2;         /* lcm(period, 4) */                        \
                for (int32_t tq_k_ = 0; tq_k_ < tq_p_; ++tq_k_) {                               \
                    tq_ext_[tq_k_] = tq_rep_[tq_k_ % (period)];                                 \
                }                                                                               \
                tq_r_ = tq_ext_;                                                                \
            }                                                                                   \
            const int32_t tq_whole_ = (n) - (n) % tq_p_;                                        \
            if (!(tq_whole_ > 0 && (ROWS(tq_full_, tq_r_, (out), tq_whole_ / tq_p_, tq_p_, tq_swap_)))) { \
                for (int32_t tq_o_ = 0; tq_o_ < tq_whole_; tq_o_ += tq_p_) {                    \
                    RUN(tq_full_ + tq_o_, tq_r_, (out) + tq_o_, tq_p_, 1, tq_swap_);            \
                }                                                                               \
            }                                                                                   \
            for (int32_t tq_o_ = tq_whole_; tq_o_ < (n); tq_o_ += (period)) {                   \
                RUN(tq_full_ + tq_o_, tq_rep_, (out) + tq_o_, (period), 1, tq_swap_);           \
            }                                                                                   \
        }                                                                                       \
    } while (0)
/* The frame of a per-channel row loop in asm (ROWS of TQ_WALK_FAST): STEP (4 elements) %[blocks]
 * times a row, b stepped back %[back] bytes at each row's end, %[rows] rows; %[k] and %[x] are
 * scratch registers. */
#define TQ_ROWS_ASM(STEP)                 \
    "1:\n\t"                              \
    "ldr %[k], %[blocks]\n\t"             \
    "2:\n\t"                              \
    STEP                                  \
    "subs %[k], %[k], #1\n\t"             \
    "bne 2b\n\t"                          \
    "ldr %[x], %[back]\n\t"               \
    "sub %[b], %[b], %[x]\n\t"            \
    "subs %[rows], %[rows], #1\n\t"       \
    "bne 1b\n\t"

/* for kernels with no row loop of their own */
#define TQ_WALK_NO_ROWS(full, rep, dst, rows, per, swap) 0

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
