/* QEMU mps2-an386 (Cortex-M4F): CMSDK UART0 (0x40004000) for the serial link, CMSDK TIMER0
 * (0x40000000, at SYSCLK 25 MHz) as the counter (with -icount it advances with executed
 * instructions), semihosting to end the run. */
#define TQ_CMSDK_UART0 0x40004000u
#define TQ_CMSDK_TIMER0 0x40000000u
#define TQ_CMSDK_COUNTER_HZ 25000000u
#include "tq_cmsdk.h"
