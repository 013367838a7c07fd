/* QEMU mps2-an385 (Cortex-M3, AN385 FPGA image): CMSDK UART0 at 0x40004000, CMSDK TIMER0 at
 * 0x40000000 clocked by SYSCLK (25 MHz; with -icount it counts instructions), semihosting exit.
 * Code runs from ZBT SSRAM1 at 0, data in ZBT SSRAM2&3 at 0x20000000. */
#define TQ_CMSDK_UART0 0x40004000u
#define TQ_CMSDK_TIMER0 0x40000000u
#define TQ_CMSDK_COUNTER_HZ 25000000u
#include "tq_cmsdk.h"
