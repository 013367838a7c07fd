/* The serial frame parser: a state machine fed one byte at a time (see frame_parser.h). */
#include "tq_cold.h"
#include "frame_parser.h"

#include "crc32.h"

enum { S_SYNC, S_SYNC2, S_HEAD, S_BODY, S_TAIL };

void tq_frame_init(tq_frame_parser *p, tq_frame_accept_fn accept, tq_frame_slot_fn slot, void *ctx)
{
    uint8_t *raw = (uint8_t *)p;
    for (uint32_t i = 0; i < (uint32_t)sizeof(*p); ++i) {
        raw[i] = 0;
    }
    p->accept = accept;
    p->slot = slot;
    p->ctx = ctx;
    p->state = S_SYNC;
}

/* Byte `pos` of the rescan source (pos < src_end). */
static uint8_t src_byte(const tq_frame_parser *p, uint32_t pos)
{
    if (pos < TQ_FRAME_HEAD) {
        return p->src_head[pos];
    }
    if (pos - TQ_FRAME_HEAD < p->src_len) {
        return *p->slot(p->ctx, pos - TQ_FRAME_HEAD);
    }
    return p->src_tail[pos - TQ_FRAME_HEAD - p->src_len];
}

/* The frame in progress is broken: scan again every byte after its 0xA5. */
static void fail(tq_frame_parser *p)
{
    if (p->rescanning) {
        p->src_pos = p->start + 1u;   /* it lies in the source itself, which is still intact */
    } else {
        for (uint32_t i = 0; i < TQ_FRAME_HEAD; ++i) {
            p->src_head[i] = p->head[i];
        }
        for (uint32_t i = 0; i < TQ_FRAME_TAIL; ++i) {
            p->src_tail[i] = p->tail[i];
        }
        p->src_len = p->len;
        p->src_end = p->got;
        p->src_pos = 1u;
        p->rescanning = 1u;
    }
    p->state = S_SYNC;
}

/* The source is used up while a frame that started in it is in progress: store that frame's
 * bytes as if they had been received live. Payload bytes move down (from index start + k to k),
 * so reading ahead of writing never reads a byte already overwritten. */
static void rebase(tq_frame_parser *p)
{
    p->rescanning = 0;
    if (p->state == S_SYNC) {
        return;
    }
    for (uint32_t i = 0; i < p->got; ++i) {
        const uint8_t b = src_byte(p, p->start + i);
        if (i < TQ_FRAME_HEAD) {
            p->head[i] = b;
        } else if (i - TQ_FRAME_HEAD < p->len) {
            *p->slot(p->ctx, i - TQ_FRAME_HEAD) = b;
        } else {
            p->tail[i - TQ_FRAME_HEAD - p->len] = b;
        }
    }
}

/* One byte, received live or read again from the rescan source (at src_pos - 1). */
static int step(tq_frame_parser *p, uint8_t b)
{
    const int live = !p->rescanning;
    const uint32_t i = p->got;
    if (p->state == S_SYNC2 && b != TQ_FRAME_SYNC1) {
        p->state = S_SYNC;   /* not a frame after all; a 0xA5 here starts the next one */
    }
    switch (p->state) {
    case S_SYNC:
        if (b != TQ_FRAME_SYNC0) {
            return TQ_FRAME_NONE;
        }
        p->state = S_SYNC2;
        p->got = 1u;
        p->start = p->src_pos - 1u;   /* only meaningful while rescanning */
        if (live) {
            p->head[0] = b;
        }
        return TQ_FRAME_NONE;
    case S_SYNC2:
        p->state = S_HEAD;
        p->crc = 0;
        p->type = 0;
        p->seq = 0;
        p->len = 0;
        break;
    case S_HEAD:
        p->crc = tq_crc32(p->crc, &b, 1);
        if (i == 2u) {
            p->type = b;
        } else if (i < 5u) {
            p->seq = (uint16_t)(p->seq | ((uint32_t)b << (8u * (i - 3u))));
        } else {
            p->len |= (uint32_t)b << (8u * (i - 5u));
        }
        break;
    case S_BODY:
        p->crc = tq_crc32(p->crc, &b, 1);
        if (live) {
            *p->slot(p->ctx, i - TQ_FRAME_HEAD) = b;
        }
        break;
    default: /* S_TAIL */
        p->rx_crc |= (uint32_t)b << (8u * (i - TQ_FRAME_HEAD - p->len));
        if (live) {
            p->tail[i - TQ_FRAME_HEAD - p->len] = b;
        }
        break;
    }
    if (live && i < TQ_FRAME_HEAD) {
        p->head[i] = b;
    }
    p->got = i + 1u;
    if (p->state == S_HEAD && p->got == TQ_FRAME_HEAD) {
        if (!p->accept(p->ctx, p->type, p->len)) {
            fail(p);
            return TQ_FRAME_BAD_HEADER;
        }
        p->state = p->len ? S_BODY : S_TAIL;
        p->rx_crc = 0;
    } else if (p->state == S_BODY && p->got - TQ_FRAME_HEAD == p->len) {
        p->state = S_TAIL;
        p->rx_crc = 0;
    } else if (p->state == S_TAIL && p->got - TQ_FRAME_HEAD - p->len == TQ_FRAME_TAIL) {
        if (p->rx_crc != p->crc) {
            fail(p);
            return TQ_FRAME_BAD_CRC;
        }
        if (p->rescanning) {   /* found inside a broken frame: move its payload to the front */
            for (uint32_t k = 0; k < p->len; ++k) {
                *p->slot(p->ctx, k) = *p->slot(p->ctx, p->start + k);
            }
        }
        p->state = S_SYNC;
        return TQ_FRAME_OK;
    }
    return TQ_FRAME_NONE;
}

int tq_frame_poll(tq_frame_parser *p)
{
    while (p->rescanning) {
        if (p->src_pos >= p->src_end) {
            rebase(p);
            break;
        }
        const uint8_t b = src_byte(p, p->src_pos++);
        const int ev = step(p, b);
        if (ev != TQ_FRAME_NONE) {
            return ev;
        }
    }
    return TQ_FRAME_NONE;
}

int tq_frame_feed(tq_frame_parser *p, uint8_t byte)
{
    while (p->rescanning) {   /* the caller did not poll: finish the rescan (its events are lost) */
        (void)tq_frame_poll(p);
    }
    return step(p, byte);
}
