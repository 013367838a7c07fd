#include "lut.h"

#include <string.h>

#include "tq_common.h"

void tq_lut_s8(const tq_lut_params *p, const int8_t *in, int8_t *out)
{
    const int8_t *t = p->table;
    int32_t i = 0;
#if defined(__GNUC__) && defined(__thumb2__)
    /* eight elements a turn in asm: a word in, its byte lanes through the table, a word out (3.4
     * instructions an element against gcc's 5.3); in place too: each word is read before it is
     * written */
    int32_t n8 = p->count >> 3;
    if (n8 > 0) {
        const int8_t *src = in;
        int8_t *dst = out;
#define TQ_LUT_WORD                                                                                   \
    "ldr r4, [%[s]], #4\n\tuxtb r5, r4\n\tubfx r6, r4, #8, #8\n\tubfx r7, r4, #16, #8\n\tlsrs r4, r4, #24\n\t" \
    "ldrb r5, [%[t], r5]\n\tldrb r6, [%[t], r6]\n\tldrb r7, [%[t], r7]\n\tldrb r4, [%[t], r4]\n\t"      \
    "orr r5, r5, r6, lsl #8\n\torr r5, r5, r7, lsl #16\n\torr r5, r5, r4, lsl #24\n\tstr r5, [%[d]], #4\n\t"
        __asm__ volatile("1:\n\t" TQ_LUT_WORD TQ_LUT_WORD "subs %[n], %[n], #1\n\tbne 1b\n\t"
                         : [s] "+r"(src), [d] "+r"(dst), [n] "+r"(n8)
                         : [t] "r"(t)
                         : "r4", "r5", "r6", "r7", "cc", "memory");
#undef TQ_LUT_WORD
        i = (p->count >> 3) << 3;
    }
#endif
    /* four elements per word load: the byte lanes index the table directly */
    for (; i + 4 <= p->count; i += 4) {
        uint32_t v;
        memcpy(&v, in + i, 4);
        out[i] = t[v & 0xFF];
        out[i + 1] = t[(v >> 8) & 0xFF];
        out[i + 2] = t[(v >> 16) & 0xFF];
        out[i + 3] = t[v >> 24];
    }
    for (; i < p->count; ++i) {
        out[i] = t[(uint8_t)in[i]];
    }
}

void tq_abs_s16(const tq_abs_params *p, const int16_t *in, int16_t *out)
{
    for (int32_t i = 0; i < p->count; ++i) {
        int32_t v = in[i] + p->input_offset;
        v = v < 0 ? -v : v;
        if (p->rescale) {
            v = tq_requantize(v, p->mult, (int)p->shift);
        }
        v += p->output_offset;
        out[i] = (int16_t)TQ_CLAMP(v, INT16_MIN, INT16_MAX);
    }
}
