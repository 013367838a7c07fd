/* QEMU netduinoplus2 (STM32F405RG, Cortex-M4F): the ST peripherals, not CMSDK ones. USART1 at
 * 0x40011000 (QEMU's first serial port) for the link; TIM2 (32-bit, 0x40000000) as the counter,
 * prescaled by 16 (QEMU clocks the STM32 timers at 1 GHz of virtual time, so with -icount shift=7
 * that is 8 ticks per instruction and a wrap every 2^29 instructions); semihosting exit. */
#include <stdint.h>

#include "tq_board.h"
#include "tq_cmsdk.h"

#define RCC_APB1ENR TQ_REG(0x40023840u)
#define RCC_APB2ENR TQ_REG(0x40023844u)

#define USART1 0x40011000u
#define USART_SR TQ_REG(USART1 + 0x00u)
#define USART_DR TQ_REG(USART1 + 0x04u)
#define USART_BRR TQ_REG(USART1 + 0x08u)
#define USART_CR1 TQ_REG(USART1 + 0x0Cu)
#define SR_RXNE (1u << 5)
#define SR_TXE (1u << 7)
#define CR1_UE (1u << 13)
#define CR1_TE (1u << 3)
#define CR1_RE (1u << 2)

#define TIM2 0x40000000u
#define TIM2_CR1 TQ_REG(TIM2 + 0x00u)
#define TIM2_EGR TQ_REG(TIM2 + 0x14u)
#define TIM2_CNT TQ_REG(TIM2 + 0x24u)
#define TIM2_PSC TQ_REG(TIM2 + 0x28u)
#define TIM2_ARR TQ_REG(TIM2 + 0x2Cu)

#ifndef TQ_UART_DIV
#define TQ_UART_DIV 0x8Bu   /* 115200 baud from 16 MHz */
#endif

const char tq_counter_kind[] = "qemu_timer";
const uint32_t tq_counter_hz = 62500000u;

void tq_board_init(void)
{
    RCC_APB1ENR |= 1u;          /* TIM2EN (the emulator ignores clock gating; hardware needs it) */
    RCC_APB2ENR |= 1u << 4;     /* USART1EN */
    USART_BRR = TQ_UART_DIV;    /* the link rate from the 16 MHz HSI the part resets to */
    USART_CR1 = CR1_UE | CR1_TE | CR1_RE;
    TIM2_PSC = 15u;             /* divide by 16 */
    TIM2_ARR = 0xFFFFFFFFu;
    TIM2_EGR = 1u;              /* UG: load the prescaler now */
    TIM2_CNT = 0u;
    TIM2_CR1 = 1u;              /* CEN */
}

void tq_uart_write(const uint8_t *data, uint32_t len)
{
    for (uint32_t i = 0; i < len; ++i) {
        while (!(USART_SR & SR_TXE)) {
        }
        USART_DR = data[i];
    }
}

uint8_t tq_uart_read_byte(void)
{
    while (!(USART_SR & SR_RXNE)) {
    }
    return (uint8_t)USART_DR;
}

uint32_t tq_counter(void)
{
    return TIM2_CNT;
}

void tq_board_exit(int code)
{
    tq_semihost_exit(code);
}

void tq_fault(void)
{
    tq_board_exit(3);
}
