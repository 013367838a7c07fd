#include "reduce.h"

#include "tq_common.h"

/* Advances the odometer idx over dims (innermost last), keeping *off = sum(idx * strides). */
static void step(int32_t rank, const int32_t *dims, const int32_t *strides, int32_t *idx, int32_t *off)
{
    for (int32_t d = rank - 1; d >= 0; --d) {
        *off += strides[d];
        if (++idx[d] < dims[d]) {
            return;
        }
        *off -= strides[d] * dims[d];
        idx[d] = 0;
    }
}

/* One kernel per (element type, reduction): FOLD(acc, v) combines, FINISH(acc) gives the output. */
#define TQ_REDUCE(NAME, T, INIT, FOLD, FINISH)                                                   \
    void NAME(const tq_reduce_params *p, const T *in, T *out)                                   \
    {                                                                                            \
        int32_t kidx[TQ_REDUCE_MAX_DIMS] = {0};                                                  \
        int32_t base = 0;                                                                        \
        for (int32_t o = 0; o < p->out_count; ++o) {                                             \
            int32_t ridx[TQ_REDUCE_MAX_DIMS] = {0};                                              \
            int32_t off = 0, acc = (INIT);                                                       \
            for (int32_t r = 0; r < p->reduce; ++r) {                                            \
                const int32_t v = in[base + off];                                                \
                acc = (FOLD);                                                                    \
                step(p->red_rank, p->red_dims, p->red_strides, ridx, &off);                      \
            }                                                                                    \
            out[o] = (T)(FINISH);                                                                \
            step(p->keep_rank, p->keep_dims, p->keep_strides, kidx, &base);                      \
        }                                                                                        \
    }

static int32_t sum_out(const tq_reduce_params *p, int32_t acc, int32_t lo, int32_t hi)
{
    const int32_t v = tq_requantize(acc - p->input_zero_point * p->reduce, p->mult, (int)p->shift) +
                      p->output_zero_point;
    return TQ_CLAMP(v, lo, hi);
}

TQ_REDUCE(tq_reduce_max_s8, int8_t, INT8_MIN, v > acc ? v : acc, acc)
TQ_REDUCE(tq_reduce_min_s8, int8_t, INT8_MAX, v < acc ? v : acc, acc)
TQ_REDUCE(tq_reduce_sum_s8, int8_t, 0, acc + v, sum_out(p, acc, INT8_MIN, INT8_MAX))
TQ_REDUCE(tq_reduce_sum_s16, int16_t, 0, acc + v, sum_out(p, acc, INT16_MIN, INT16_MAX))
TQ_REDUCE(tq_reduce_all_b, uint8_t, 1, acc && v, acc)
