#ifndef TQ_GATHER_H
#define TQ_GATHER_H

#include <stdint.h>

typedef struct {
    int32_t batches;       /* batch_dims' product: each batch has its own params and indices */
    int32_t outer;         /* params' dimensions between the batch dimensions and the axis, multiplied */
    int32_t axis_size;     /* params' size along the axis */
    int32_t inner;         /* bytes of one slice behind the axis */
    int32_t count;         /* indices per batch */
} tq_gather_params;

/* GATHER: out[b][o][k] = params[b][o][index[b][k]] (a slice of `inner` bytes each), TFLM's
 * Gather with batch_dims. Indices are int32 or int64; one outside [0, axis_size) (TFLM fails
 * the invoke there) is clamped, so no read leaves params. out must not overlap the inputs. */
void tq_gather_i32(const tq_gather_params *p, const void *params, const int32_t *index, void *out);
void tq_gather_i64(const tq_gather_params *p, const void *params, const int64_t *index, void *out);

typedef struct {
    int32_t count;         /* index tuples */
    int32_t depth;         /* entries per tuple (the indices' last dimension), <= 8 */
    int32_t dims[8];       /* params' leading dimensions the tuples index */
    int32_t strides[8];    /* their strides in bytes */
    int32_t slice;         /* bytes of one gathered slice */
} tq_gather_nd_params;

/* GATHER_ND: out[k] = params[index[k][0], ..., index[k][depth-1], ...], indices int32, each
 * clamped to its dimension. out must not overlap the inputs. */
void tq_gather_nd_i32(const tq_gather_nd_params *p, const void *params, const int32_t *index, void *out);

#endif
