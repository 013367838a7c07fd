#ifndef TQ_COPY_H
#define TQ_COPY_H

#include <stdint.h>

#define TQ_COPY_MAX_RANK 8

/* An N-D strided copy of fixed-size elements: the data-movement ops (SPLIT, SPLIT_V, UNPACK,
 * PACK, TILE, BROADCAST_TO, FILL, SLICE, SPACE_TO_DEPTH, DEPTH_TO_SPACE, MIRROR_PAD's body,
 * GATHER with constant indices, ...) are each one or more of these, their geometry worked out at
 * generation time (tinyq/ops/_copy.py): element (i0, ..., i{rank-1}) goes from
 * in + sum(ik * in_strides[k]) to out + sum(ik * out_strides[k]), strides in bytes (0: repeat,
 * negative: reversed). Dimensions are walked outermost first, the innermost in one memcpy where
 * both sides are contiguous. in and out must not overlap. */
typedef struct {
    int32_t rank;                          /* 1 .. TQ_COPY_MAX_RANK */
    int32_t elem;                          /* bytes per element */
    int32_t dims[TQ_COPY_MAX_RANK];        /* each >= 1 */
    int32_t in_strides[TQ_COPY_MAX_RANK];
    int32_t out_strides[TQ_COPY_MAX_RANK];
} tq_copy_params;

void tq_copy_nd(const tq_copy_params *p, const void *in, void *out);

#endif
