#ifndef TQ_DYNAMIC_UPDATE_SLICE_H
#define TQ_DYNAMIC_UPDATE_SLICE_H

#include <stdint.h>

typedef struct {
    int32_t rank;              /* 1 .. 6 */
    int32_t elem;              /* bytes per element */
    int32_t bytes;             /* of the operand (= the output) */
    int32_t dims[6];           /* the operand's shape */
    int32_t upd[6];            /* the update's shape */
    int32_t index_is_64;       /* start indices int64 (else int32) */
} tq_dus_params;

/* DYNAMIC_UPDATE_SLICE: the operand with `update` written at the start indices, each clamped to
 * [0, dim - update dim] (TFLM's clamping). The operand is copied first unless the output is the
 * operand (in place); update and indices must not overlap the output. */
void tq_dynamic_update_slice(const tq_dus_params *p, const void *operand, const void *update,
                             const void *indices, void *out);

#endif
