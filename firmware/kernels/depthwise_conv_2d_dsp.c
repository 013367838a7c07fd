/* The DSP depthwise kernel with int16-widened weights: 2 words a tap, loaded by one LDRD. */
#include "depthwise_conv_2d_dsp.h"

#define TQ_DW_FN tq_depthwise_conv_2d_dsp_s8
#define TQ_DW_WPT 2
#define TQ_DW_W_ASM "ldrd %[w0], %[w1], [%[wp]], #8\n\t"
#define TQ_DW_LOAD_W(wp, w02, w13) tq_ld2((wp), &(w02), &(w13))
#define TQ_DW_BSTEP 4
#define TQ_DW_BIAS(c) (bias + (c))
#define TQ_DW_SCALE(a, bb) ((void)0)

#include "depthwise_conv_2d_dsp_body.h"
