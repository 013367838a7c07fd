/* QEMU mps2-an500 (Cortex-M7, AN500 FPGA image): the AN385's peripheral map (CMSDK UART0 at
 * 0x40004000, CMSDK TIMER0 at 0x40000000 on the 25 MHz SYSCLK), semihosting exit. */
#define TQ_CMSDK_UART0 0x40004000u
#define TQ_CMSDK_TIMER0 0x40000000u
#define TQ_CMSDK_COUNTER_HZ 25000000u
#include "tq_cmsdk.h"
