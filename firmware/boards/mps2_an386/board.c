/* QEMU mps2-an386 (Cortex-M4F): CMSDK UART0 for the serial link, CMSDK TIMER0 as the counter
 * (with -icount it advances with executed instructions), semihosting to end the run. */
#include <stdint.h>

#include "tq_board.h"

#define REG(addr) (*(volatile uint32_t *)(addr))

#define UART0_DATA REG(0x40004000u)
#define UART0_STATE REG(0x40004004u)
#define UART0_CTRL REG(0x40004008u)
#define UART0_BAUDDIV REG(0x40004010u)
#define UART_TX_FULL 1u
#define UART_RX_FULL 2u

#define TIMER0_CTRL REG(0x40000000u)
#define TIMER0_VALUE REG(0x40000004u)
#define TIMER0_RELOAD REG(0x40000008u)

const char tq_counter_kind[] = "qemu_timer";
const uint32_t tq_counter_hz = 25000000u;

void tq_board_init(void)
{
    UART0_BAUDDIV = 16u;      /* the smallest divider CMSDK accepts */
    UART0_CTRL = 3u;          /* TX and RX enable */
    TIMER0_RELOAD = 0xFFFFFFFFu;
    TIMER0_VALUE = 0xFFFFFFFFu;
    TIMER0_CTRL = 1u;         /* enable, no interrupt */
}

void tq_uart_write(const uint8_t *data, uint32_t len)
{
    for (uint32_t i = 0; i < len; ++i) {
        while (UART0_STATE & UART_TX_FULL) {
        }
        UART0_DATA = data[i];
    }
}

uint8_t tq_uart_read_byte(void)
{
    while (!(UART0_STATE & UART_RX_FULL)) {
    }
    return (uint8_t)UART0_DATA;
}

uint32_t tq_counter(void)
{
    return 0xFFFFFFFFu - TIMER0_VALUE;  /* the timer counts down */
}

void tq_board_exit(int code)
{
    /* Semihosting SYS_EXIT_EXTENDED: ADP_Stopped_ApplicationExit with the exit code. */
    volatile uint32_t block[2] = {0x20026u, (uint32_t)code};
    register uint32_t r0 __asm("r0") = 0x20u;
    register volatile uint32_t *r1 __asm("r1") = block;
    __asm volatile("bkpt 0xAB" : : "r"(r0), "r"(r1) : "memory");
    for (;;) {
    }
}

void tq_fault(void)
{
    tq_board_exit(3);   /* a fault ends the emulation with a distinct code instead of hanging */
}
