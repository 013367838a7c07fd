/* Host harness for a generated model: reads samples on stdin, writes outputs on stdout.
 *
 *   model_host run     each sample = all inputs back to back; writes all outputs back to back
 *   model_host layers  same, but before each sample's outputs writes every layer's first output
 *                      (built with -DTQ_PROFILE so the per-layer hook is called)
 *   model_host reset   as run, but tinyq_model_reset() before every sample: each one is the first
 *                      step of a fresh stream (models with resource variables keep state otherwise)
 *
 * Built with -DTQ_CHECK_ARENA (and -DTQ_PROFILE; `tinyq verify --sanitize` does), it also checks
 * after every layer that the layer changed no arena byte outside its own outputs and scratch,
 * guard bytes around the arena included: an overflow from one tensor into the next, or past
 * either end of the arena, is reported naming the layer (exit 3), which ASan cannot see inside
 * the one arena array. (Under ASan there is no guard after the arena: its redzone right after
 * the planned size catches reads and writes there.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

extern const void *tq_debug_layer_ptr(int layer);
extern const uint32_t tq_debug_layer_bytes[];

static int g_dump_layers;

#ifdef TQ_CHECK_ARENA
#ifndef TQ_PROFILE
#error "TQ_CHECK_ARENA needs TQ_PROFILE (the per-layer hook runs the check)"
#endif
extern uint8_t *const tq_debug_arena_mem;
extern const uint32_t tq_debug_arena_mem_bytes;
extern const uint32_t tq_debug_arena_guard;
extern const uint32_t tq_debug_arena_tail_guard;
extern const uint32_t tq_debug_layer_write_first[];
extern const uint32_t tq_debug_layer_write_lo[];
extern const uint32_t tq_debug_layer_write_hi[];

static uint8_t *g_shadow;

static void arena_snapshot(void)
{
    if (!g_shadow) {
        g_shadow = malloc(tq_debug_arena_mem_bytes);
        if (!g_shadow) {
            fprintf(stderr, "model_host: out of memory for the arena check\n");
            exit(2);
        }
        memset(tq_debug_arena_mem, 0xA5, tq_debug_arena_guard);   /* canaries */
        memset(tq_debug_arena_mem + tq_debug_arena_mem_bytes - tq_debug_arena_tail_guard, 0xA5,
               tq_debug_arena_tail_guard);
    }
    memcpy(g_shadow, tq_debug_arena_mem, tq_debug_arena_mem_bytes);
}

static int may_write(int layer, long pos)
{
    for (uint32_t k = tq_debug_layer_write_first[layer]; k < tq_debug_layer_write_first[layer + 1]; ++k) {
        if (pos >= (long)tq_debug_layer_write_lo[k] && pos < (long)tq_debug_layer_write_hi[k]) {
            return 1;
        }
    }
    return 0;
}

static void arena_check(int layer)
{
    const long guard = (long)tq_debug_arena_guard;
    for (uint32_t i = 0; i < tq_debug_arena_mem_bytes; ++i) {
        if (tq_debug_arena_mem[i] != g_shadow[i] && !may_write(layer, (long)i - guard)) {
            long pos = (long)i - guard;
            long arena = (long)tq_debug_arena_mem_bytes - guard - (long)tq_debug_arena_tail_guard;
            fprintf(stderr, "tq_check_arena: layer %d (%s) wrote arena byte %ld%s, outside its outputs and "
                    "scratch:", layer, tq_model_layer_names[layer], pos,
                    pos < 0 ? " (before the arena)" : pos >= arena ? " (past the end of the arena)" : "");
            for (uint32_t k = tq_debug_layer_write_first[layer]; k < tq_debug_layer_write_first[layer + 1]; ++k) {
                fprintf(stderr, " [%u, %u)", tq_debug_layer_write_lo[k], tq_debug_layer_write_hi[k]);
            }
            fprintf(stderr, "\n");
            exit(3);
        }
    }
    memcpy(g_shadow, tq_debug_arena_mem, tq_debug_arena_mem_bytes);
}
#endif

#ifdef TQ_PROFILE
void tq_profile_start(void)
{
#ifdef TQ_CHECK_ARENA
    arena_snapshot();
#endif
}

void tq_profile_layer_done(int layer)
{
#ifdef TQ_CHECK_ARENA
    arena_check(layer);
#endif
    if (g_dump_layers) {
        const void *p = tq_debug_layer_ptr(layer);
        if (p) {
            fwrite(p, 1, tq_debug_layer_bytes[layer], stdout);
        }
    }
}
#endif

static int read_exact(void *dst, size_t n)
{
    return fread(dst, 1, n, stdin) == n;
}

/* Streamed inputs (TQ_INPUTi_STREAMED) have no buffer in the arena: each sample is read whole
 * into this staging buffer, and the model's reader hands out its rows as the model asks. */
static uint8_t g_staged[TQ_MODEL_STREAMED_BYTES + 1];
static uint32_t g_staged_at[TQ_MODEL_NUM_INPUTS];

static void staged_rows(void *ctx, int input, int32_t first_row, int32_t rows, void *dst)
{
    (void)ctx;
    const size_t rb = tq_model_input_row_bytes[input];
    memcpy(dst, g_staged + g_staged_at[input] + (size_t)first_row * rb, (size_t)rows * rb);
}

static void *input_slot(int i)
{
    return tq_model_input_streamed[i] ? (void *)(g_staged + g_staged_at[i]) : tinyq_model_input(i);
}

int main(int argc, char **argv)
{
    g_dump_layers = argc > 1 && strcmp(argv[1], "layers") == 0;
    const int reset_each = argc > 1 && strcmp(argv[1], "reset") == 0;
    uint32_t at = 0;
    for (int i = 0; i < TQ_MODEL_NUM_INPUTS; ++i) {
        g_staged_at[i] = at;
        at += tq_model_input_streamed[i] ? tq_model_input_bytes[i] : 0u;
    }
    tinyq_model_set_input_reader(staged_rows, 0);
    for (;;) {
        if (reset_each) {
            tinyq_model_reset();
        }
        for (int i = 0; i < TQ_MODEL_NUM_INPUTS; ++i) {
            if (!read_exact(input_slot(i), tq_model_input_bytes[i])) {
                if (i == 0 && feof(stdin)) {
                    return 0;
                }
                fprintf(stderr, "model_host: truncated input\n");
                return 2;
            }
        }
        tinyq_model_invoke();
        for (int i = 0; i < TQ_MODEL_NUM_OUTPUTS; ++i) {
            fwrite(tinyq_model_output(i), 1, tq_model_output_bytes[i], stdout);
        }
    }
}
