/* Host harness for a generated model: reads samples on stdin, writes outputs on stdout.
 *
 *   model_host run     each sample = all inputs back to back; writes all outputs back to back
 *   model_host layers  same, but before each sample's outputs writes every layer's first output
 *                      (built with -DTQ_PROFILE so the per-layer hook is called)
 */
#include <stdio.h>
#include <string.h>

#include "model.h"

extern const void *tq_debug_layer_ptr(int layer);
extern const uint32_t tq_debug_layer_bytes[];

static int g_dump_layers;

#ifdef TQ_PROFILE
void tq_profile_start(void) {}

void tq_profile_layer_done(int layer)
{
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

int main(int argc, char **argv)
{
    g_dump_layers = argc > 1 && strcmp(argv[1], "layers") == 0;
    for (;;) {
        for (int i = 0; i < TQ_MODEL_NUM_INPUTS; ++i) {
            if (!read_exact(tinyq_model_input(i), tq_model_input_bytes[i])) {
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
