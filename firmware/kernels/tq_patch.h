#ifndef TQ_PATCH_H
#define TQ_PATCH_H

/* Patch-based execution (tinyq/plan/patch.py): a run of window ops computed a band of rows at a
 * time. Each call gets a copy of the op's parameters whose geometry covers only the band. */

#include <stdint.h>
#include <string.h>

#include "tq_common.h"

/* Make `g`, a copy of an op's whole-image geometry, describe output rows [o0, o0 + n): the input
 * it reads starts at the returned row, holds the rows those outputs read (clipped to the image),
 * and keeps the top padding that row o0's window still has above the image. The kernel's own
 * clipping then falls on the image borders, so every output is what the whole-image call gives. */
static inline int32_t tq_patch_geo(tq_window *g, int32_t o0, int32_t n)
{
    const int32_t y0 = o0 * g->stride_h - g->pad_h;
    const int32_t i0 = y0 > 0 ? y0 : 0;
    int32_t i1 = (o0 + n - 1) * g->stride_h - g->pad_h + (g->k_h - 1) * g->dil_h + 1;
    if (i1 > g->in_h) {
        i1 = g->in_h;
    }
    g->pad_h = (int16_t)(i0 - y0);
    g->in_h = (int16_t)(i1 - i0);
    g->out_h = (int16_t)n;
    return i0;
}

/* Move `bytes` bytes from buf + from down to buf (from > 0): the rows of a band still needed, to
 * the top of its buffer. A forward copy, 16 bytes at a time through registers, so the two ranges
 * may overlap (each piece is read before it is written, and later reads lie above every write). */
static inline void tq_patch_shift(void *buf, int32_t from, int32_t bytes)
{
    uint8_t *d = (uint8_t *)buf;
    const uint8_t *s = d + from;
    int32_t i = 0;
    for (; i + 16 <= bytes; i += 16) {
        uint32_t w[4];
        memcpy(w, s + i, sizeof w);
        memcpy(d + i, w, sizeof w);
    }
    for (; i < bytes; ++i) {
        d[i] = s[i];
    }
}

#endif /* TQ_PATCH_H */
