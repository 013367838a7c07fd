/* tinyq on Zephyr: runs the model once on zeroed inputs and prints the time and the first
 * output bytes. Fill tinyq_model_input(i) with real data in an application. */
#include <string.h>

#include <zephyr/kernel.h>
#include <zephyr/sys/printk.h>

#include "model.h"

int main(void)
{
    for (int i = 0; i < TQ_MODEL_NUM_INPUTS; ++i) {
        memset(tinyq_model_input(i), 0, tq_model_input_bytes[i]);
    }
    const uint32_t t0 = k_cycle_get_32();
    tinyq_model_invoke();
    const uint32_t cycles = k_cycle_get_32() - t0;
    const int8_t *out = (const int8_t *)tinyq_model_output(0);
    printk("%s: %u cycles; output 0:", TQ_MODEL_NAME, cycles);
    for (uint32_t k = 0; k < tq_model_output_bytes[0] && k < 8u; ++k) {
        printk(" %d", out[k]);
    }
    printk("\n");
    return 0;
}
