/* The DSP depthwise kernel with the model's int8 weights (see depthwise_conv_2d_dsp8.h): one word
 * a tap, widened by SXTB16 / SXTB16-ROR-8 (2 instructions more per tap and block than the
 * int16 kernel's LDRD), and the accumulators shifted by their channels' scales. */
#include "depthwise_conv_2d_dsp8.h"

#define TQ_DW_FN tq_depthwise_conv_2d_dsp8_s8
#define TQ_DW_WPT 1
#define TQ_DW_W_ASM "ldr %[w1], [%[wp]], #4\n\tsxtb16 %[w0], %[w1]\n\tsxtb16 %[w1], %[w1], ror #8\n\t"
#define TQ_DW_LOAD_W(wp, w02, w13)               \
    do {                                         \
        const int32_t v_ = tq_read_s32(*(wp));   \
        *(wp) += 1;                              \
        (w02) = tq_sxtb16(v_);                   \
        (w13) = tq_sxtb16_ror8(v_);              \
    } while (0)
#define TQ_DW_BSTEP 5
#define TQ_DW_BIAS(c) (bias + (c) / 4 * 5)
#define TQ_DW_SCALE(a, bb)                                                   \
    do {                                                                     \
        const uint32_t s_ = (uint32_t)(bb)[4];                               \
        (a).a0 = (int32_t)((uint32_t)(a).a0 << (s_ & 0xFFu));                \
        (a).a1 = (int32_t)((uint32_t)(a).a1 << ((s_ >> 8) & 0xFFu));         \
        (a).a2 = (int32_t)((uint32_t)(a).a2 << ((s_ >> 16) & 0xFFu));        \
        (a).a3 = (int32_t)((uint32_t)(a).a3 << (s_ >> 24));                  \
    } while (0)

#include "depthwise_conv_2d_dsp_body.h"
