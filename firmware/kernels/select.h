#ifndef TQ_SELECT_H
#define TQ_SELECT_H

#include <stdint.h>

typedef struct {
    int32_t elem;              /* bytes per element of x, y and the output */
    int32_t dims[4];           /* the output's shape, 4-D */
    int32_t cond_strides[4];   /* element strides of the condition (0 where it broadcasts) */
    int32_t x_strides[4];
    int32_t y_strides[4];
} tq_select_params;

/* SELECT_V2: out = cond ? x : y element by element, all three broadcast to the output (TFLM's
 * BroadcastSelect; the bytes are copied, no requantization). cond is bool (one byte). The
 * output may not overlap the inputs. */
void tq_select(const tq_select_params *p, const uint8_t *cond, const void *x, const void *y, void *out);

#endif
