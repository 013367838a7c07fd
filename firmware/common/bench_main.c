/* Benchmark application: serves inference requests over a framed serial protocol.
 *
 * Frame (both directions), all integers little endian:
 *   0xA5 0x5A | type (u8) | seq (u16) | length (u32) | payload | CRC-32 (u32) of type, seq,
 *   length and payload (zlib's crc32).
 * Every request carries a sequence number and its answer echoes it, so the host can drop a late
 * or duplicated answer instead of pairing it with the next request.
 *   host 'H' (empty)       -> device 'H': "key=value\n" lines describing the model and counter
 *   host 'R' (all inputs)  -> device 'R': u32 total counter delta, u32 stack high water,
 *                             u32 layer count, u32 per-layer deltas..., then all outputs
 *   host 'C' (u32 n)       -> device 'C': u32 counter delta over a loop of exactly 2*n
 *                             instructions (subs + bne), to check what the counter counts
 *   host 'F' (u32 offset)  -> device 'F', as 'R', the inputs read from the host file
 *                             TQ_INPUTS_FILE at that byte offset instead of carried in the frame
 *                             (emulated boards with semihosting, tq_board_file_read; "files=1" in
 *                             the 'H' answer says so): no serial transfer, for evaluation sets
 *   host 'G' (u32 seed,    -> device 'G', as 'R', the inputs generated on the device from the
 *             u32 sample)     seed and the sample's index (tq_gen_inputs.h; "gen=1" in the 'H'
 *                             answer when every input has a type it generates): no input bytes
 *                             cross the link, on any board
 *   host 'Q' (empty)       -> device 'Q', then the device ends the run (emulator exit)
 *   anything malformed     -> device 'E' (with the seq the broken frame carried): a text message,
 *                             "bad frame type or length" or "CRC mismatch"
 * The receiver (frame_parser.c) resynchronises on any byte: a 0xA5 always starts a frame, and
 * the bytes of a broken frame are scanned again, so a valid request after garbage or after a
 * truncated one is never lost.
 */
#include "tq_cold.h"
#include <stdint.h>
#include <string.h>

#include "crc32.h"
#include "frame_parser.h"
#include "model.h"
#include "tq_board.h"
#include "tq_gen_inputs.h"

uint32_t tq_stack_high_water(void);

/* Semihosting file input, where the board has it (tq_cmsdk.h); these defaults say it has not. */
#define TQ_INPUTS_FILE "tq_inputs.bin"
__attribute__((weak)) int tq_board_has_files(void)
{
    return 0;
}

__attribute__((weak)) int tq_board_file_read(const char *name, uint32_t offset, uint8_t *dst, uint32_t len)
{
    (void)name;
    (void)offset;
    (void)dst;
    (void)len;
    return -1;
}

/* Each input's element kind for the 'G' generator, from the model's own types (TQ_GEN_KIND); the
 * 'G' request is offered for models of up to 8 inputs. */
#if TQ_MODEL_NUM_INPUTS <= 8
#define TQ_GEN_INPUTS 1
static const uint8_t g_in_kind[TQ_MODEL_NUM_INPUTS] = {
    TQ_GEN_KIND(TQ_INPUT0_TYPE),
#if TQ_MODEL_NUM_INPUTS > 1
    TQ_GEN_KIND(TQ_INPUT1_TYPE),
#endif
#if TQ_MODEL_NUM_INPUTS > 2
    TQ_GEN_KIND(TQ_INPUT2_TYPE),
#endif
#if TQ_MODEL_NUM_INPUTS > 3
    TQ_GEN_KIND(TQ_INPUT3_TYPE),
#endif
#if TQ_MODEL_NUM_INPUTS > 4
    TQ_GEN_KIND(TQ_INPUT4_TYPE),
#endif
#if TQ_MODEL_NUM_INPUTS > 5
    TQ_GEN_KIND(TQ_INPUT5_TYPE),
#endif
#if TQ_MODEL_NUM_INPUTS > 6
    TQ_GEN_KIND(TQ_INPUT6_TYPE),
#endif
#if TQ_MODEL_NUM_INPUTS > 7
    TQ_GEN_KIND(TQ_INPUT7_TYPE),
#endif
};
#else
#define TQ_GEN_INPUTS 0
#endif

/* Whether every input has a type the generator fills. */
static int gen_supported(void)
{
#if TQ_GEN_INPUTS
    for (int i = 0; i < TQ_MODEL_NUM_INPUTS; ++i) {
        if (!tq_gen_supported(g_in_kind[i])) {
            return 0;
        }
    }
    return 1;
#else
    return 0;
#endif
}

/* Streamed inputs (TQ_INPUTi_STREAMED) have no buffer in the arena: the model asks the reader
 * below for their rows as it goes. Generated inputs ('G') are generated row by row right there,
 * so no whole input exists anywhere; an 'R' or 'F' request's inputs wait whole in a staging
 * buffer, left out with -DTQ_NO_INPUT_STAGING (then only 'G' serves such a model). */
#if TQ_MODEL_STREAMED_BYTES && !defined(TQ_NO_INPUT_STAGING)
#define TQ_STAGING 1
static uint8_t g_staged[TQ_MODEL_STREAMED_BYTES];
#else
#define TQ_STAGING 0
#endif
static uint32_t g_staged_at[TQ_MODEL_NUM_INPUTS];
#if TQ_GEN_INPUTS
static uint32_t g_gen_ctr[TQ_MODEL_NUM_INPUTS];   /* a streamed input's counter for 'G' */
#endif
static int g_generating;
static uint32_t g_reader_cost;                     /* counted in the reader: not the model's */

/* Where input i's bytes go: its buffer, or the staging buffer (0 when there is none). */
static uint8_t *input_slot(int i)
{
    if (!tq_model_input_streamed[i]) {
        return (uint8_t *)tinyq_model_input(i);
    }
#if TQ_STAGING
    return g_staged + g_staged_at[i];
#else
    return 0;
#endif
}

/* The inputs of sample `sample` of the seed's sequence, written into the model's input buffers
 * (a streamed input: its counter kept for the reader). */
static void gen_inputs(uint32_t seed, uint32_t sample)
{
#if TQ_GEN_INPUTS
    uint32_t ctr = tq_gen_key(seed, sample);
    for (int i = 0; i < TQ_MODEL_NUM_INPUTS; ++i) {
        const uint32_t size = g_in_kind[i] & (uint8_t)~TQ_GEN_FLOAT;
        const uint32_t elements = tq_model_input_bytes[i] / size;
        if (tq_model_input_streamed[i]) {
            g_gen_ctr[i] = ctr;
            ctr += elements * TQ_GEN_STEP;     /* what tq_gen_fill would have advanced it by */
        } else {
            ctr = tq_gen_fill((uint8_t *)tinyq_model_input(i), elements, g_in_kind[i], ctr);
        }
    }
#else
    (void)seed;
    (void)sample;
#endif
}

static uint32_t g_layer_counts[TQ_MODEL_NUM_LAYERS];
static uint32_t g_last;

/* The model's input reader: rows of a streamed input, generated or from the staging buffer. Its
 * own time is taken out of the counts, as writing an input buffer is for the other inputs. */
static void read_rows(void *ctx, int input, int32_t first_row, int32_t rows, void *dst)
{
    (void)ctx;
    const uint32_t a = tq_counter();
    const uint32_t rb = tq_model_input_row_bytes[input];
    if (g_generating) {
#if TQ_GEN_INPUTS
        const uint32_t per_row = rb / (g_in_kind[input] & (uint8_t)~TQ_GEN_FLOAT);
        (void)tq_gen_fill((uint8_t *)dst, (uint32_t)rows * per_row, g_in_kind[input],
                          g_gen_ctr[input] + (uint32_t)first_row * per_row * TQ_GEN_STEP);
#endif
    } else {
        const uint8_t *src = input_slot(input);
        if (src) {
            /* a loop, not memcpy (see startup.c); its time is not counted */
            src += (uint32_t)first_row * rb;
            for (uint32_t i = 0; i < (uint32_t)rows * rb; ++i) {
                ((uint8_t *)dst)[i] = src[i];
            }
        }
    }
    const uint32_t spent = tq_counter() - a;
    g_reader_cost += spent;
    g_last += spent;
}

void tq_profile_start(void)
{
    g_last = tq_counter();
}

/* Summed: a layer of a patch stage reports once per band of rows. */
void tq_profile_layer_done(int layer)
{
    const uint32_t now = tq_counter();
    g_layer_counts[layer] += now - g_last;
    g_last = tq_counter();  /* exclude this hook's own bookkeeping from the next layer */
}

static void put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* A frame whose payload is written in pieces, so large outputs need no extra buffer. */
static uint32_t g_tx_crc;

static void frame_begin(uint8_t type, uint16_t seq, uint32_t len)
{
    uint8_t head[TQ_FRAME_HEAD] = {TQ_FRAME_SYNC0, TQ_FRAME_SYNC1, type, (uint8_t)seq, (uint8_t)(seq >> 8), 0, 0, 0, 0};
    put_u32(head + 5, len);
    tq_uart_write(head, TQ_FRAME_HEAD);
    g_tx_crc = tq_crc32(0, head + 2, TQ_FRAME_HEAD - 2u);
}

static void frame_data(const void *data, uint32_t len)
{
    tq_uart_write((const uint8_t *)data, len);
    g_tx_crc = tq_crc32(g_tx_crc, (const uint8_t *)data, len);
}

static void frame_end(void)
{
    uint8_t tail[4];
    put_u32(tail, g_tx_crc);
    tq_uart_write(tail, 4);
}

/* msg is a string literal: its size, not strlen (which would link libc's word-at-a-time
 * version for two error messages). */
#define send_error(seq, msg) send_frame('E', (seq), (msg), (uint32_t)sizeof(msg) - 1u)

static void send_frame(uint8_t type, uint16_t seq, const void *data, uint32_t len)
{
    frame_begin(type, seq, len);
    frame_data(data, len);
    frame_end();
}

static char *append(char *p, const char *s)
{
    while (*s) {
        *p++ = *s++;
    }
    return p;
}

static char *append_u32(char *p, uint32_t v)
{
    char tmp[10];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v);
    while (n) {
        *p++ = tmp[--n];
    }
    return p;
}

static void send_info(uint16_t seq)
{
    static char text[256 + 24 * (TQ_MODEL_NUM_INPUTS + TQ_MODEL_NUM_OUTPUTS)];
    char *p = text;
    p = append(p, "model=" TQ_MODEL_NAME "\nlayers=");
    p = append_u32(p, TQ_MODEL_NUM_LAYERS);
    p = append(p, "\narena=");
    p = append_u32(p, TQ_MODEL_ARENA_BYTES);
    p = append(p, "\ncounter=");
    p = append(p, tq_counter_kind);
    p = append(p, "\ncounter_hz=");
    p = append_u32(p, tq_counter_hz);
    p = append(p, "\ninputs=");
    for (int i = 0; i < TQ_MODEL_NUM_INPUTS; ++i) {
        p = append_u32(p, tq_model_input_bytes[i]);
        p = append(p, i + 1 < TQ_MODEL_NUM_INPUTS ? "," : "");
    }
    p = append(p, "\noutputs=");
    for (int i = 0; i < TQ_MODEL_NUM_OUTPUTS; ++i) {
        p = append_u32(p, tq_model_output_bytes[i]);
        p = append(p, i + 1 < TQ_MODEL_NUM_OUTPUTS ? "," : "");
    }
#ifdef TQ_UART_BAUD
    p = append(p, "\nbaud=");
    p = append_u32(p, TQ_UART_BAUD);   /* the rate the firmware runs its UART at */
#endif
    p = append(p, tq_board_has_files() ? "\nfiles=1" : "");
    p = append(p, gen_supported() ? "\ngen=1\n" : "\n");
    send_frame('H', seq, text, (uint32_t)(p - text));
}

/* A loop of exactly 2*n instructions; the host measures two lengths and checks the difference. */
static void calibrate(uint16_t seq, uint32_t n)
{
    uint32_t reg = n ? n : 1u;
    const uint32_t t0 = tq_counter();
#if defined(__thumb2__)
    __asm volatile("1:\n subs %0, %0, #1\n bne 1b" : "+r"(reg) : : "cc");
#else
    /* ARMv6-M (Cortex-M0/M0+): GCC's inline asm is in divided syntax there, where the 16-bit
     * flag-setting subtract is spelled "sub" and takes a low register. */
    __asm volatile("1:\n sub %0, #1\n bne 1b" : "+l"(reg) : : "cc");
#endif
    const uint32_t delta = tq_counter() - t0;
    uint8_t v[4];
    put_u32(v, delta);
    send_frame('C', seq, v, 4);
}

static void run_inference(uint8_t type, uint16_t seq)
{
    for (int l = 0; l < TQ_MODEL_NUM_LAYERS; ++l) {
        g_layer_counts[l] = 0;    /* (outside the measured time) */
    }
    g_generating = type == 'G';
    g_reader_cost = 0;
    const uint32_t t0 = tq_counter();
    tinyq_model_invoke();
    const uint32_t total = tq_counter() - t0 - g_reader_cost;
    uint32_t out_bytes = 0;
    for (int i = 0; i < TQ_MODEL_NUM_OUTPUTS; ++i) {
        out_bytes += tq_model_output_bytes[i];
    }
    uint8_t head[12];
    put_u32(head, total);
    put_u32(head + 4, tq_stack_high_water());
    put_u32(head + 8, TQ_MODEL_NUM_LAYERS);
    frame_begin(type, seq, 12 + 4 * TQ_MODEL_NUM_LAYERS + out_bytes);
    frame_data(head, 12);
    for (int l = 0; l < TQ_MODEL_NUM_LAYERS; ++l) {
        uint8_t v[4];
        put_u32(v, g_layer_counts[l]);
        frame_data(v, 4);
    }
    for (int i = 0; i < TQ_MODEL_NUM_OUTPUTS; ++i) {
        frame_data(tinyq_model_output(i), tq_model_output_bytes[i]);
    }
    frame_end();
}

/* Receiving: the payload of an 'R' request goes straight into the model's input buffers, in
 * order (no copy, no extra RAM); 'C', 'F' and 'G' use the first 4 or 8 of those bytes (or g_spill
 * for a model with fewer input bytes). */
static uint32_t g_in_bytes;
static uint8_t g_spill[8];

static int accept_frame(void *ctx, uint8_t type, uint32_t len)
{
    (void)ctx;
    return ((type == 'H' || type == 'Q') && len == 0) || ((type == 'C' || type == 'F') && len == 4) ||
           (type == 'G' && len == 8) ||
           (type == 'R' && len == g_in_bytes && (TQ_STAGING || !TQ_MODEL_STREAMED_BYTES));
}

static uint8_t *payload_slot(void *ctx, uint32_t index)
{
    (void)ctx;
    for (int i = 0; i < TQ_MODEL_NUM_INPUTS; ++i) {
        if (index < tq_model_input_bytes[i]) {
            uint8_t *slot = input_slot(i);
            return slot ? slot + index : &g_spill[index & 7u];   /* (no staging: only 'C', 'F', 'G' args) */
        }
        index -= tq_model_input_bytes[i];
    }
    return &g_spill[index & 7u];   /* index < 8 here: accept_frame allows no longer payload */
}

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

int main(void)
{
    static tq_frame_parser rx;
    tq_board_init();
    uint32_t staged = 0;
    for (int i = 0; i < TQ_MODEL_NUM_INPUTS; ++i) {
        g_in_bytes += tq_model_input_bytes[i];
        g_staged_at[i] = staged;
        staged += tq_model_input_streamed[i] ? tq_model_input_bytes[i] : 0u;
    }
    tinyq_model_set_input_reader(read_rows, 0);
    tq_frame_init(&rx, accept_frame, payload_slot, 0);
    for (;;) {
        int ev = tq_frame_poll(&rx);   /* first the bytes kept from a broken frame, if any */
        if (ev == TQ_FRAME_NONE) {
            /* Byte by byte, CRC'd as it arrives: a UART with a few bytes of FIFO (the nRF's
             * UARTE has 4) must never wait for a long CRC pass. */
            ev = tq_frame_feed(&rx, tq_uart_read_byte());
        }
        if (ev == TQ_FRAME_BAD_HEADER) {
            send_error(rx.seq, "bad frame type or length");
        } else if (ev == TQ_FRAME_BAD_CRC) {
            send_error(rx.seq, "CRC mismatch");
        } else if (ev == TQ_FRAME_OK) {
            if (rx.type == 'H') {
                send_info(rx.seq);
            } else if (rx.type == 'R') {
                run_inference('R', rx.seq);
            } else if (rx.type == 'C' || rx.type == 'F' || rx.type == 'G') {
                uint8_t arg[8];
                for (uint32_t k = 0; k < rx.len && k < 8u; ++k) {   /* before the inputs are overwritten */
                    arg[k] = *payload_slot(0, k);
                }
                if (rx.type == 'G') {
                    if (gen_supported()) {
                        gen_inputs(get_u32(arg), get_u32(arg + 4));
                        run_inference('G', rx.seq);
                    } else {
                        send_error(rx.seq, "cannot generate inputs of this model's types");
                    }
                } else if (rx.type == 'C') {
                    calibrate(rx.seq, get_u32(arg));
                } else {
                    uint32_t offset = get_u32(arg);
                    int ok = tq_board_has_files();
                    for (int i = 0; ok && i < TQ_MODEL_NUM_INPUTS; ++i) {
                        ok = input_slot(i) && tq_board_file_read(TQ_INPUTS_FILE, offset, input_slot(i),
                                                                 tq_model_input_bytes[i]) == 0;
                        offset += tq_model_input_bytes[i];
                    }
                    if (ok) {
                        run_inference('F', rx.seq);
                    } else {
                        send_error(rx.seq, "cannot read the inputs file");
                    }
                }
            } else {
                send_frame('Q', rx.seq, 0, 0);
                tq_board_exit(0);
            }
        }
    }
}
