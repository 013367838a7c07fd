/* Byte-at-a-time parser for the benchmark's serial frames (the format is described in
 * bench_main.c), free of any UART so that it can be fuzzed on the host (firmware/fuzz/).
 *
 * Frame: 0xA5 0x5A, type (u8), seq (u16 LE), length (u32 LE), payload, CRC-32 (u32 LE) of
 * type, seq, length and payload.
 *
 * Resynchronisation: outside a frame a 0xA5 always (re)starts one, also right after another
 * 0xA5. A frame whose header the `accept` callback refuses (unknown type, wrong length) or whose
 * CRC does not match is reported, and then every byte after its 0xA5 is scanned again: a valid
 * frame hidden inside a broken one (a truncated request followed by its retry) is never lost.
 * The rescan needs no buffer of its own: the header and CRC bytes are kept in the struct and the
 * payload bytes are re-read where they were stored (the `slot` callback), shifted down in place
 * when a frame found inside is taken.
 *
 * Use: after tq_frame_feed() of one received byte, call tq_frame_poll() until it returns
 * TQ_FRAME_NONE (it scans the kept bytes) before feeding the next byte:
 *
 *     for (;;) {
 *         int ev = tq_frame_poll(&p);
 *         if (ev == TQ_FRAME_NONE) ev = tq_frame_feed(&p, read_byte());
 *         ...
 *     }
 *
 * After TQ_FRAME_OK, p.type, p.seq, p.len describe the frame and the payload is at slot(0..len-1);
 * the caller may overwrite those len bytes but no other slot before the next TQ_FRAME_NONE.
 * After TQ_FRAME_BAD_HEADER / TQ_FRAME_BAD_CRC, p.type and p.seq are what the broken frame said
 * (unverified). No allocation, no recursion; slot() is only called with indices below a length
 * that accept() allowed. */
#ifndef TQ_FRAME_PARSER_H
#define TQ_FRAME_PARSER_H

#include <stdint.h>

#define TQ_FRAME_SYNC0 0xA5u
#define TQ_FRAME_SYNC1 0x5Au
#define TQ_FRAME_HEAD 9u   /* sync (2), type (1), seq (2), length (4) */
#define TQ_FRAME_TAIL 4u   /* CRC-32 */

enum {
    TQ_FRAME_NONE = 0,      /* nothing complete yet: feed the next byte */
    TQ_FRAME_OK,            /* a valid frame */
    TQ_FRAME_BAD_HEADER,    /* accept() refused type/length: the frame was skipped */
    TQ_FRAME_BAD_CRC        /* the CRC did not match: the frame was skipped */
};

/* Non-zero when a frame of this type and payload length can be received. */
typedef int (*tq_frame_accept_fn)(void *ctx, uint8_t type, uint32_t len);
/* Where payload byte `index` is stored (index < a length accept() allowed). */
typedef uint8_t *(*tq_frame_slot_fn)(void *ctx, uint32_t index);

typedef struct {
    tq_frame_accept_fn accept;
    tq_frame_slot_fn slot;
    void *ctx;
    /* the frame being received */
    uint8_t state;
    uint8_t type;
    uint16_t seq;
    uint32_t len;
    uint32_t got;          /* its bytes so far, from the 0xA5 */
    uint32_t crc;          /* running CRC-32 of type..payload */
    uint32_t rx_crc;       /* the CRC as received */
    uint32_t start;        /* where it starts in the rescan source (while rescanning) */
    uint8_t head[TQ_FRAME_HEAD];
    uint8_t tail[TQ_FRAME_TAIL];
    /* the rescan source: a broken frame's bytes, read again from position src_pos */
    uint8_t rescanning;
    uint8_t src_head[TQ_FRAME_HEAD];
    uint8_t src_tail[TQ_FRAME_TAIL];
    uint32_t src_len;      /* its payload length */
    uint32_t src_end;      /* how many of its bytes were received */
    uint32_t src_pos;
} tq_frame_parser;

void tq_frame_init(tq_frame_parser *p, tq_frame_accept_fn accept, tq_frame_slot_fn slot, void *ctx);
int tq_frame_feed(tq_frame_parser *p, uint8_t byte);
int tq_frame_poll(tq_frame_parser *p);

#endif
