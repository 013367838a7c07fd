/* tinyq example: reads each sample's input bytes from stdin (every input of the model in
 * turn), runs the model and writes the output bytes to stdout. Where stdin gives nothing (a
 * board without stdio) it runs the model once on zeroed inputs. In an application, write your
 * data to tinyq_model_input(i), call tinyq_model_invoke(), read tinyq_model_output(i). */
#include <stdio.h>
#include <string.h>

#include "model.h"

static int read_inputs(void)
{
    for (int i = 0; i < TQ_MODEL_NUM_INPUTS; ++i) {
        uint8_t *in = (uint8_t *)tinyq_model_input(i);
        size_t got = fread(in, 1, tq_model_input_bytes[i], stdin);
        if (got != tq_model_input_bytes[i]) {
            return 0;
        }
    }
    return 1;
}

int main(void)
{
    int samples = 0;
    while (read_inputs()) {
        tinyq_model_invoke();
        for (int i = 0; i < TQ_MODEL_NUM_OUTPUTS; ++i) {
            fwrite(tinyq_model_output(i), 1, tq_model_output_bytes[i], stdout);
        }
        ++samples;
    }
    if (samples == 0) {
        for (int i = 0; i < TQ_MODEL_NUM_INPUTS; ++i) {
            memset(tinyq_model_input(i), 0, tq_model_input_bytes[i]);
        }
        tinyq_model_invoke();
    }
    return 0;
}
