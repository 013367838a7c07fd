#include "hard_swish.h"

#include "tq_common.h"

static int16_t sat16(int32_t x)
{
    return (int16_t)TQ_CLAMP(x, INT16_MIN, INT16_MAX);
}

/* The int16 a value in [-2^17, 2^17) becomes after two's-complement truncation. */
static int32_t wrap16(int32_t x)
{
    return ((x + 32768) & 0xFFFF) - 32768;
}

/* (a * b * 2) >> 16 with rounding; saturates the single overflow case. */
static int16_t rounding_doubling_high_mul16(int16_t a, int16_t b)
{
    if (a == INT16_MIN && b == INT16_MIN) {
        return INT16_MAX;
    }
    const int32_t ab = (int32_t)a * (int32_t)b;
    const int32_t nudge = ab >= 0 ? (1 << 14) : (1 - (1 << 14));
    return (int16_t)((ab + nudge) / (1 << 15));
}

/* The same without rounding (truncating division), which cancels the bias of the rounded one. */
static int16_t doubling_high_mul16(int16_t a, int16_t b)
{
    if (a == INT16_MIN && b == INT16_MIN) {
        return INT16_MAX;
    }
    return (int16_t)(((int32_t)a * (int32_t)b) / (1 << 15));
}

void tq_hard_swish_s8(const tq_hard_swish_params *p, const int8_t *in, int8_t *out)
{
    for (int32_t i = 0; i < p->count; ++i) {
        const int16_t x = (int16_t)((int32_t)in[i] - p->input_zero_point);
        const int16_t hires = (int16_t)(x * (1 << 7));
        const int16_t preshift = rounding_doubling_high_mul16(hires, (int16_t)p->output_mult);
        int16_t reluish = hires;
        if (p->reluish_exponent > 0) {
            reluish = sat16((int32_t)reluish * (1 << (p->reluish_exponent - 1)));
        }
        reluish = rounding_doubling_high_mul16(reluish, (int16_t)p->reluish_mult);
        if (p->reluish_exponent > 0) {
            reluish = sat16((int32_t)reluish * 2);
        }
        if (p->reluish_exponent < 0) {
            reluish = (int16_t)tq_rounding_divide_by_pot(reluish, -p->reluish_exponent);
        }
        reluish = (int16_t)(((int32_t)reluish + (1 << 15)) >> 1);   /* [-1, 1] -> [0, 1] */
        const int16_t pre = doubling_high_mul16(reluish, preshift);
        /* TFLM adds the zero point in int16, which wraps when the value is already near the
         * int16 limits (possible only with output_exponent 0); mirror that before clamping. */
        const int32_t y = tq_rounding_divide_by_pot(pre, -p->output_exponent) + p->output_zero_point;
        out[i] = tq_sat_s8(wrap16(y));
    }
}
