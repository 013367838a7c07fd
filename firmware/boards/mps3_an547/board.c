/* QEMU mps3-an547 (Cortex-M55, SSE-300), Secure state: CMSDK UART0 at 0x59303000 (secure alias
 * of 0x49303000). The SSE-300 has no CMSDK timer on its main clock (its only one, at 0x4802F000,
 * runs at 32 kHz), so the counter is the SSE system counter: 64-bit, enabled in its control frame
 * (CNTCR at 0x58100000), read from its status frame (CNTCV at 0x58101000); with -icount it
 * counts instructions like the CMSDK timers do. */
#include <stdint.h>

#define TQ_CMSDK_UART0 0x59303000u
#include "tq_cmsdk.h"

#define CNTCR TQ_REG(0x58100000u)
#define CNTCV_LO TQ_REG(0x58101000u)

const char tq_counter_kind[] = "qemu_timer";
const uint32_t tq_counter_hz = 32000000u;

void tq_board_init(void)
{
    tq_cmsdk_uart_init(TQ_CMSDK_UART0);
    CNTCR = 1u;   /* EN */
}

uint32_t tq_counter(void)
{
    return CNTCV_LO;   /* the low word: differences stay right across a wrap */
}
