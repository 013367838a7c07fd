/* QEMU mps2-an505 (Cortex-M33, IoT Kit): the core boots in the Secure state and everything here
 * uses the secure aliases, which the PPCs and MPCs let through after reset: UART0 at 0x50200000
 * (non-secure 0x40200000), the IoT Kit's CMSDK TIMER0 at 0x50000000 on MAINCLK (20 MHz). */
#define TQ_CMSDK_UART0 0x50200000u
#define TQ_CMSDK_TIMER0 0x50000000u
#define TQ_CMSDK_COUNTER_HZ 20000000u
#include "tq_cmsdk.h"
