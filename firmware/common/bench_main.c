/* Benchmark application: serves inference requests over a framed serial protocol.
 *
 * Frame (both directions): 0xA5 0x5A, type (1 byte), length (u32 LE), payload, CRC-32 (u32 LE)
 * of type, length and payload.
 *   host 'H' (empty)       -> device 'H': "key=value\n" lines describing the model and counter
 *   host 'R' (all inputs)  -> device 'R': u32 total counter delta, u32 stack high water,
 *                             u32 layer count, u32 per-layer deltas..., then all outputs
 *   host 'C' (u32 n)       -> device 'C': u32 counter delta over a loop of exactly 2*n
 *                             instructions (subs + bne), to check what the counter counts
 *   host 'Q' (empty)       -> device 'Q', then the device ends the run (emulator exit)
 *   anything malformed     -> device 'E': a text message
 */
#include <stdint.h>
#include <string.h>

#include "crc32.h"
#include "model.h"
#include "tq_board.h"

uint32_t tq_stack_high_water(void);

static uint32_t g_layer_counts[TQ_MODEL_NUM_LAYERS];
static uint32_t g_last;

void tq_profile_start(void)
{
    g_last = tq_counter();
}

void tq_profile_layer_done(int layer)
{
    const uint32_t now = tq_counter();
    g_layer_counts[layer] = now - g_last;
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

static void frame_begin(uint8_t type, uint32_t len)
{
    uint8_t head[7] = {0xA5, 0x5A, type, 0, 0, 0, 0};
    put_u32(head + 3, len);
    tq_uart_write(head, 7);
    g_tx_crc = tq_crc32(0, head + 2, 5);
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

static void send_error(const char *msg)
{
    frame_begin('E', (uint32_t)strlen(msg));
    frame_data(msg, (uint32_t)strlen(msg));
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

static void send_info(void)
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
    p = append(p, "\n");
    frame_begin('H', (uint32_t)(p - text));
    frame_data(text, (uint32_t)(p - text));
    frame_end();
}

static uint32_t read_u32(uint32_t *crc)
{
    uint8_t b[4];
    for (int i = 0; i < 4; ++i) {
        b[i] = tq_uart_read_byte();
    }
    if (crc) {
        *crc = tq_crc32(*crc, b, 4);
    }
    return (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) | ((uint32_t)b[3] << 24);
}

/* A loop of exactly 2*n instructions; the host measures two lengths and checks the difference. */
static void calibrate(uint32_t n)
{
    uint32_t reg = n ? n : 1u;
    const uint32_t t0 = tq_counter();
    __asm volatile("1:\n subs %0, %0, #1\n bne 1b" : "+r"(reg) : : "cc");
    const uint32_t delta = tq_counter() - t0;
    uint8_t v[4];
    put_u32(v, delta);
    frame_begin('C', 4);
    frame_data(v, 4);
    frame_end();
}

static void run_inference(void)
{
    const uint32_t t0 = tq_counter();
    tinyq_model_invoke();
    const uint32_t total = tq_counter() - t0;
    uint32_t out_bytes = 0;
    for (int i = 0; i < TQ_MODEL_NUM_OUTPUTS; ++i) {
        out_bytes += tq_model_output_bytes[i];
    }
    uint8_t head[12];
    put_u32(head, total);
    put_u32(head + 4, tq_stack_high_water());
    put_u32(head + 8, TQ_MODEL_NUM_LAYERS);
    frame_begin('R', 12 + 4 * TQ_MODEL_NUM_LAYERS + out_bytes);
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

int main(void)
{
    tq_board_init();
    uint32_t in_bytes = 0;
    for (int i = 0; i < TQ_MODEL_NUM_INPUTS; ++i) {
        in_bytes += tq_model_input_bytes[i];
    }
    for (;;) {
        if (tq_uart_read_byte() != 0xA5) {
            continue;  /* resynchronise on garbage */
        }
        if (tq_uart_read_byte() != 0x5A) {
            continue;
        }
        const uint8_t type = tq_uart_read_byte();
        uint32_t crc = tq_crc32(0, &type, 1);
        const uint32_t len = read_u32(&crc);
        uint32_t arg = 0;
        if (type == 'R' && len == in_bytes) {
            /* Stream the payload straight into the model's input buffers. */
            for (int i = 0; i < TQ_MODEL_NUM_INPUTS; ++i) {
                uint8_t *dst = (uint8_t *)tinyq_model_input(i);
                for (uint32_t k = 0; k < tq_model_input_bytes[i]; ++k) {
                    /* CRC each byte as it arrives: a UART with a few bytes of FIFO (the nRF's
                     * UARTE has 4) must never wait for a long CRC pass between inputs. */
                    dst[k] = tq_uart_read_byte();
                    crc = tq_crc32(crc, &dst[k], 1);
                }
            }
        } else if (len == 0 && (type == 'H' || type == 'Q')) {
            /* no payload */
        } else if (len == 4 && type == 'C') {
            arg = read_u32(&crc);
        } else {
            send_error("bad frame type or length");
            continue;
        }
        if (read_u32(0) != crc) {
            send_error("CRC mismatch");
            continue;
        }
        if (type == 'H') {
            send_info();
        } else if (type == 'R') {
            run_inference();
        } else if (type == 'C') {
            calibrate(arg);
        } else {
            frame_begin('Q', 0);
            frame_end();
            tq_board_exit(0);
        }
    }
}
