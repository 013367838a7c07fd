/* QEMU microbit (nRF51822, Cortex-M0): the nRF51's UART0 (the legacy UART with TXD/RXD
 * registers and events, not the nRF52's EasyDMA UARTE) at 0x40002000, TIMER0 at 0x40008000 in
 * 32-bit timer mode at 16 MHz (with -icount it counts instructions: read by a CAPTURE task),
 * semihosting to end the run. */
#include <stdint.h>

#include "tq_board.h"
#include "tq_cmsdk.h"

#define UART 0x40002000u
#define UART_STARTRX TQ_REG(UART + 0x000u)
#define UART_STARTTX TQ_REG(UART + 0x008u)
#define UART_RXDRDY TQ_REG(UART + 0x108u)
#define UART_TXDRDY TQ_REG(UART + 0x11Cu)
#define UART_ENABLE TQ_REG(UART + 0x500u)
#define UART_PSELTXD TQ_REG(UART + 0x50Cu)
#define UART_PSELRXD TQ_REG(UART + 0x514u)
#define UART_RXD TQ_REG(UART + 0x518u)
#define UART_TXD TQ_REG(UART + 0x51Cu)
#define UART_BAUDRATE TQ_REG(UART + 0x524u)

#define TIMER 0x40008000u
#define TIMER_START TQ_REG(TIMER + 0x000u)
#define TIMER_CLEAR TQ_REG(TIMER + 0x00Cu)
#define TIMER_CAPTURE0 TQ_REG(TIMER + 0x040u)
#define TIMER_MODE TQ_REG(TIMER + 0x504u)
#define TIMER_BITMODE TQ_REG(TIMER + 0x508u)
#define TIMER_PRESCALER TQ_REG(TIMER + 0x510u)
#define TIMER_CC0 TQ_REG(TIMER + 0x540u)

#ifndef TQ_UART_DIV
#define TQ_UART_DIV 0x01D7E000u   /* 115200 baud */
#endif

const char tq_counter_kind[] = "qemu_timer";
const uint32_t tq_counter_hz = 16000000u;

void tq_board_init(void)
{
    UART_PSELTXD = 24u;           /* the micro:bit's USB serial pins: TX P0.24, RX P0.25 */
    UART_PSELRXD = 25u;
    UART_BAUDRATE = TQ_UART_DIV;  /* the link rate (boards/microbit.toml) */
    UART_ENABLE = 4u;
    UART_STARTTX = 1u;
    UART_STARTRX = 1u;
    TIMER_MODE = 0u;              /* timer, not counter */
    TIMER_BITMODE = 3u;           /* 32 bit */
    TIMER_PRESCALER = 0u;         /* 16 MHz */
    TIMER_CLEAR = 1u;
    TIMER_START = 1u;
}

void tq_uart_write(const uint8_t *data, uint32_t len)
{
    for (uint32_t i = 0; i < len; ++i) {
        UART_TXDRDY = 0u;
        UART_TXD = data[i];
        while (!UART_TXDRDY) {
        }
    }
}

uint8_t tq_uart_read_byte(void)
{
    while (!UART_RXDRDY) {
    }
    UART_RXDRDY = 0u;   /* cleared before RXD is read: reading it raises the event again while
                         * more bytes wait in the receive FIFO */
    return (uint8_t)UART_RXD;
}

uint32_t tq_counter(void)
{
    TIMER_CAPTURE0 = 1u;
    return TIMER_CC0;
}

void tq_board_exit(int code)
{
    tq_semihost_exit(code);
}

void tq_fault(void)
{
    tq_board_exit(3);   /* HardFault (unaligned access, bad address) ends the run with this code */
}
