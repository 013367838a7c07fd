/* libFuzzer harness for the firmware's serial frame parser (firmware/common/frame_parser.c).
 *
 * Each input is a serial byte stream (raw, or built from a little script of valid, truncated
 * and bit-flipped frames so that valid CRCs are common). The stream goes byte by byte through
 * the parser, and the events it reports must be exactly those of a simple reference that has
 * the whole stream in a buffer and rescans from the byte after every failed 0xA5: same order,
 * same type/seq/length, same payload bytes. Any difference aborts; ASan/UBSan catch the rest.
 * Build and run: see README.md. Built with -DTQ_FUZZ_STANDALONE (no libFuzzer, e.g. gcc) it runs
 * the files given instead; with -v first it prints every event. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crc32.h"
#include "frame_parser.h"

#define MAX_STREAM (1u << 16)
#define MAX_IN 200u
#define MAX_E 32u
#define CAP (MAX_IN + MAX_E)

typedef struct {
    uint32_t in_bytes;   /* the 'R' payload length, as a model's input size */
    uint32_t split;      /* payload storage is two buffers, as a model with two inputs */
    uint8_t a[CAP];
    uint8_t b[CAP];
} harness;

static uint8_t g_stream[MAX_STREAM];
static int g_verbose;   /* standalone -v: print every event */

static int accept(void *ctx, uint8_t type, uint32_t len)
{
    const harness *h = (const harness *)ctx;
    switch (type) {
    case 'H':
    case 'Q': return len == 0;
    case 'C': return len == 4;
    case 'R': return len == h->in_bytes;
    case 'E': return len <= MAX_E;   /* a variable-length type */
    default: return 0;
    }
}

static uint8_t *slot(void *ctx, uint32_t index)
{
    harness *h = (harness *)ctx;
    if (index >= CAP) {
        fprintf(stderr, "slot index %u out of range\n", (unsigned)index);
        abort();
    }
    return index < h->split ? &h->a[index] : &h->b[index - h->split];
}

typedef struct {
    int ev;
    uint8_t type;
    uint16_t seq;
    uint32_t len;
    uint32_t at;     /* where the payload is in the stream */
} event;

static event g_ref[MAX_STREAM];

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* The reference: the whole stream in memory, a failed frame rescanned from the byte after its 0xA5. */
static uint32_t reference(harness *h, const uint8_t *s, uint32_t n)
{
    uint32_t count = 0, i = 0;
    while (i < n) {
        if (s[i] != TQ_FRAME_SYNC0) {
            ++i;
            continue;
        }
        if (n - i < 2u) {
            break;
        }
        if (s[i + 1] != TQ_FRAME_SYNC1) {
            ++i;
            continue;
        }
        if (n - i < TQ_FRAME_HEAD) {
            break;
        }
        event e = {0, s[i + 2], (uint16_t)(s[i + 3] | (s[i + 4] << 8)), get_u32(s + i + 5), i + TQ_FRAME_HEAD};
        if (!accept(h, e.type, e.len)) {
            e.ev = TQ_FRAME_BAD_HEADER;
            g_ref[count++] = e;
            ++i;
            continue;
        }
        if ((uint64_t)(n - i) < (uint64_t)TQ_FRAME_HEAD + e.len + TQ_FRAME_TAIL) {
            break;
        }
        const uint32_t crc = tq_crc32(0, s + i + 2, 7u + e.len);
        if (crc == get_u32(s + i + TQ_FRAME_HEAD + e.len)) {
            e.ev = TQ_FRAME_OK;
            g_ref[count++] = e;
            i += TQ_FRAME_HEAD + e.len + TQ_FRAME_TAIL;
        } else {
            e.ev = TQ_FRAME_BAD_CRC;
            g_ref[count++] = e;
            ++i;
        }
    }
    return count;
}

static void check(harness *h, tq_frame_parser *p, int ev, const uint8_t *s, uint32_t k, uint32_t nref)
{
    if (k >= nref) {
        fprintf(stderr, "parser reported event %d (#%u) that the reference does not\n", ev, (unsigned)k);
        abort();
    }
    const event *e = &g_ref[k];
    if (g_verbose) {
        static const char *const names[] = {"none", "ok", "bad_header", "bad_crc"};
        printf("%s %c %u %u\n", names[ev], p->type >= 32 && p->type < 127 ? p->type : '?', p->seq, (unsigned)p->len);
    }
    if (ev != e->ev || p->type != e->type || p->seq != e->seq || p->len != e->len) {
        fprintf(stderr, "event #%u: parser %d type %u seq %u len %u, reference %d type %u seq %u len %u\n",
                (unsigned)k, ev, p->type, p->seq, (unsigned)p->len, e->ev, e->type, e->seq, (unsigned)e->len);
        abort();
    }
    if (ev == TQ_FRAME_OK) {
        for (uint32_t j = 0; j < e->len; ++j) {
            if (*slot(h, j) != s[e->at + j]) {
                fprintf(stderr, "event #%u: payload byte %u differs\n", (unsigned)k, (unsigned)j);
                abort();
            }
        }
    }
}

/* Script mode: ops that append raw bytes or (possibly truncated / bit-flipped) valid frames. */
static uint32_t build(const harness *h, const uint8_t *d, size_t n)
{
    static const uint8_t types[] = {'H', 'Q', 'C', 'R', 'E', 'X'};
    uint32_t out = 0;
    size_t i = 0;
    while (i < n && out + TQ_FRAME_HEAD + CAP + TQ_FRAME_TAIL + 16u < MAX_STREAM) {
        const uint8_t op = d[i++];
        if ((op & 3u) == 0) {   /* raw bytes, often sync bytes */
            uint32_t cnt = (uint32_t)(op >> 2) & 15u;
            while (cnt-- && i < n) {
                const uint8_t v = d[i++];
                g_stream[out++] = (v & 0xC0u) == 0x40u ? TQ_FRAME_SYNC0 : (v & 0xC0u) == 0x80u ? TQ_FRAME_SYNC1 : v;
            }
            continue;
        }
        const uint8_t type = types[(op >> 2) % sizeof(types)];
        uint32_t len = type == 'C' ? 4u : type == 'R' ? h->in_bytes : type == 'E' || type == 'X' ? (uint32_t)(op >> 3) % (MAX_E + 2u) : 0u;
        uint8_t *f = g_stream + out;
        const uint16_t seq = (uint16_t)(i < n ? d[i++] : 0);
        f[0] = TQ_FRAME_SYNC0;
        f[1] = TQ_FRAME_SYNC1;
        f[2] = type;
        f[3] = (uint8_t)seq;
        f[4] = (uint8_t)(seq >> 8);
        for (int b = 0; b < 4; ++b) {
            f[5 + b] = (uint8_t)(len >> (8 * b));
        }
        for (uint32_t j = 0; j < len; ++j) {
            f[TQ_FRAME_HEAD + j] = i < n ? d[i++] : (uint8_t)j;
        }
        const uint32_t crc = tq_crc32(0, f + 2, 7u + len);
        for (int b = 0; b < 4; ++b) {
            f[TQ_FRAME_HEAD + len + (uint32_t)b] = (uint8_t)(crc >> (8 * b));
        }
        uint32_t total = TQ_FRAME_HEAD + len + TQ_FRAME_TAIL;
        if ((op & 3u) == 2u && i < n) {
            total = d[i++] % total;                         /* truncated */
        } else if ((op & 3u) == 3u && i + 1 < n) {
            const uint32_t at = d[i++] % total;             /* one bit flipped */
            f[at] ^= (uint8_t)(1u << (d[i++] & 7u));
        }
        out += total;
    }
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static harness h;
    if (size < 3) {
        return 0;
    }
    h.in_bytes = data[0] % (MAX_IN + 1u);
    h.split = data[1] % (h.in_bytes + 1u);
    const int script = data[2] & 1;
    data += 3;
    size -= 3;
    uint32_t n;
    if (script) {
        n = build(&h, data, size);
    } else {
        n = size < MAX_STREAM ? (uint32_t)size : MAX_STREAM;
        memcpy(g_stream, data, n);
    }
    const uint32_t nref = reference(&h, g_stream, n);

    tq_frame_parser p;
    tq_frame_init(&p, accept, slot, &h);
    memset(h.a, 0xEE, sizeof(h.a));
    memset(h.b, 0xEE, sizeof(h.b));
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; ++i) {
        int ev = tq_frame_feed(&p, g_stream[i]);
        while (ev != TQ_FRAME_NONE) {
            check(&h, &p, ev, g_stream, k++, nref);
            if (ev == TQ_FRAME_OK) {   /* the caller may use up the payload's slots (an inference does) */
                for (uint32_t j = 0; j < p.len; ++j) {
                    *slot(&h, j) = 0xCC;
                }
            }
            ev = tq_frame_poll(&p);
        }
    }
    if (k != nref) {
        fprintf(stderr, "parser reported %u events, the reference %u\n", (unsigned)k, (unsigned)nref);
        abort();
    }
    return 0;
}

#ifdef TQ_FUZZ_STANDALONE
/* Without libFuzzer (gcc): run the harness on the files given, e.g. a saved crash or the corpus. */
int main(int argc, char **argv)
{
    static uint8_t buf[MAX_STREAM + 3];
    int first = 1;
    if (argc > 1 && strcmp(argv[1], "-v") == 0) {
        g_verbose = 1;
        first = 2;
    }
    for (int a = first; a < argc; ++a) {
        if (g_verbose) {
            printf("%s\n", argv[a]);
        }
        FILE *f = fopen(argv[a], "rb");
        if (!f) {
            perror(argv[a]);
            return 1;
        }
        const size_t n = fread(buf, 1, sizeof(buf), f);
        fclose(f);
        LLVMFuzzerTestOneInput(buf, n);
    }
    printf("%d inputs OK\n", argc - first);
    return 0;
}
#endif
