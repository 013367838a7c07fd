#include "concatenation.h"

#include <string.h>

void tq_concatenation(const tq_concat_params *p, const int8_t *const *inputs, int8_t *out)
{
    for (int32_t o = 0; o < p->outer; ++o) {
        for (int32_t i = 0; i < p->num_inputs; ++i) {
            memcpy(out, inputs[i] + o * p->chunk[i], (size_t)p->chunk[i]);
            out += p->chunk[i];
        }
    }
}
