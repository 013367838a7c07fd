/* nRF52840-DK: UARTE0 on the J-Link VCOM pins at the board's link rate (TQ_UART_DIV, the BAUDRATE
 * value for boards/nrf52840.toml's max_baud, from the build; 115200 without it), DWT cycle counter
 * at 64 MHz. */
#include <stdint.h>

#include "tq_board.h"

#define REG(addr) (*(volatile uint32_t *)(addr))

#define CLOCK_TASKS_HFCLKSTART REG(0x40000000u)
#define CLOCK_EVENTS_HFCLKSTARTED REG(0x40000100u)

#define UARTE0 0x40002000u
#define UARTE_TASKS_STARTRX REG(UARTE0 + 0x000u)
#define UARTE_TASKS_STARTTX REG(UARTE0 + 0x008u)
#define UARTE_EVENTS_ENDRX REG(UARTE0 + 0x110u)
#define UARTE_EVENTS_ENDTX REG(UARTE0 + 0x120u)
#define UARTE_ENABLE REG(UARTE0 + 0x500u)
#define UARTE_PSEL_TXD REG(UARTE0 + 0x50Cu)
#define UARTE_PSEL_RXD REG(UARTE0 + 0x514u)
#define UARTE_BAUDRATE REG(UARTE0 + 0x524u)
#define UARTE_RXD_PTR REG(UARTE0 + 0x534u)
#define UARTE_RXD_MAXCNT REG(UARTE0 + 0x538u)
#define UARTE_TXD_PTR REG(UARTE0 + 0x544u)
#define UARTE_TXD_MAXCNT REG(UARTE0 + 0x548u)
#ifndef TQ_UART_DIV
#define TQ_UART_DIV 0x01D7E000u   /* 115200 baud */
#endif

/* GPIO port of pin p (0..47): P0 at 0x50000000, P1 at 0x50000300. */
#define GPIO_PORT(p) (0x50000000u + ((p) >> 5) * 0x300u)
#define GPIO_OUTSET(p) REG(GPIO_PORT(p) + 0x508u)
#define GPIO_DIRSET(p) REG(GPIO_PORT(p) + 0x518u)

#define DEMCR REG(0xE000EDFCu)
#define DWT_CTRL REG(0xE0001000u)
#define DWT_CYCCNT REG(0xE0001004u)

#ifndef TQ_UART_TX_PIN
#define TQ_UART_TX_PIN 6u
#endif
#ifndef TQ_UART_RX_PIN
#define TQ_UART_RX_PIN 8u
#endif

const char tq_counter_kind[] = "cycles";
const uint32_t tq_counter_hz = 64000000u;

/* EasyDMA reads and writes RAM only, so single bytes go through these. */
static volatile uint8_t g_tx_byte;
static volatile uint8_t g_rx_byte;

void tq_board_init(void)
{
    CLOCK_EVENTS_HFCLKSTARTED = 0u;
    CLOCK_TASKS_HFCLKSTART = 1u;        /* the crystal, for an accurate baud rate */
    while (!CLOCK_EVENTS_HFCLKSTARTED) {
    }
    /* TX idles high as an output even while the UARTE is disabled (the PS recommends it). */
    GPIO_OUTSET(TQ_UART_TX_PIN) = 1u << (TQ_UART_TX_PIN & 31u);
    GPIO_DIRSET(TQ_UART_TX_PIN) = 1u << (TQ_UART_TX_PIN & 31u);
    UARTE_PSEL_TXD = TQ_UART_TX_PIN;   /* PSEL = port << 5 | pin, the same numbering */
    UARTE_PSEL_RXD = TQ_UART_RX_PIN;
    UARTE_BAUDRATE = TQ_UART_DIV;
    UARTE_ENABLE = 8u;
    DEMCR |= 1u << 24;                  /* TRCENA */
    DWT_CYCCNT = 0u;
    DWT_CTRL |= 1u;                     /* CYCCNTENA */
}

void tq_uart_write(const uint8_t *data, uint32_t len)
{
    for (uint32_t i = 0; i < len; ++i) {
        g_tx_byte = data[i];
        UARTE_TXD_PTR = (uint32_t)&g_tx_byte;
        UARTE_TXD_MAXCNT = 1u;
        UARTE_EVENTS_ENDTX = 0u;
        UARTE_TASKS_STARTTX = 1u;
        while (!UARTE_EVENTS_ENDTX) {
        }
    }
}

uint8_t tq_uart_read_byte(void)
{
    UARTE_RXD_PTR = (uint32_t)&g_rx_byte;
    UARTE_RXD_MAXCNT = 1u;
    UARTE_EVENTS_ENDRX = 0u;
    UARTE_TASKS_STARTRX = 1u;
    while (!UARTE_EVENTS_ENDRX) {
    }
    return g_rx_byte;
}

uint32_t tq_counter(void)
{
    return DWT_CYCCNT;
}

void tq_board_exit(int code)
{
    (void)code;
    for (;;) {
        __asm volatile("wfe");
    }
}

void tq_fault(void)
{
    tq_board_exit(3);
}
