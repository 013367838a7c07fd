/* Arm CMSDK APB UART and APB timer, as the MPS2/MPS3 FPGA images and the IoT Kit / SSE
 * subsystems place them (base addresses per board, in its board.c), and the semihosting exit
 * every emulated board uses. Header-only: a board includes it with its own addresses. */
#ifndef TQ_CMSDK_H
#define TQ_CMSDK_H

#include <stdint.h>

#include "tq_cold.h"

#define TQ_REG(addr) (*(volatile uint32_t *)(addr))

/* UART: DATA 0x00, STATE 0x04 (bit 0 TX buffer full, bit 1 RX buffer full), CTRL 0x08
 * (bit 0 TX enable, bit 1 RX enable), BAUDDIV 0x10. */
static inline void tq_cmsdk_uart_init(uintptr_t base)
{
    TQ_REG(base + 0x10u) = 16u;     /* the smallest divider the UART accepts */
    TQ_REG(base + 0x08u) = 3u;
}

static inline void tq_cmsdk_uart_write(uintptr_t base, const uint8_t *data, uint32_t len)
{
    for (uint32_t i = 0; i < len; ++i) {
        while (TQ_REG(base + 0x04u) & 1u) {
        }
        TQ_REG(base) = data[i];
    }
}

static inline uint8_t tq_cmsdk_uart_read(uintptr_t base)
{
    while (!(TQ_REG(base + 0x04u) & 2u)) {
    }
    return (uint8_t)TQ_REG(base);
}

/* Timer: CTRL 0x00 (bit 0 enable), VALUE 0x04 (counts down), RELOAD 0x08. Free running from
 * 0xFFFFFFFF; tq_counter() is the ticks elapsed since. */
static inline void tq_cmsdk_timer_start(uintptr_t base)
{
    TQ_REG(base + 0x08u) = 0xFFFFFFFFu;
    TQ_REG(base + 0x04u) = 0xFFFFFFFFu;
    TQ_REG(base) = 1u;
}

static inline uint32_t tq_cmsdk_timer_elapsed(uintptr_t base)
{
    return 0xFFFFFFFFu - TQ_REG(base + 0x04u);
}

/* Semihosting SYS_EXIT_EXTENDED (ADP_Stopped_ApplicationExit with the exit code): QEMU ends
 * with that code. BKPT 0xAB is the M-profile semihosting call on every core, v6-M included. */
static inline void tq_semihost_exit(int code)
{
    volatile uint32_t block[2] = {0x20026u, (uint32_t)code};
    register uint32_t r0 __asm("r0") = 0x20u;
    register volatile uint32_t *r1 __asm("r1") = block;
    __asm volatile("bkpt 0xAB" : : "r"(r0), "r"(r1) : "memory");
    for (;;) {
    }
}

/* A semihosting call (op in r0, argument block in r1); returns r0. */
static inline uint32_t tq_semihost_call(uint32_t op, volatile uint32_t *args)
{
    register uint32_t r0 __asm("r0") = op;
    register volatile uint32_t *r1 __asm("r1") = args;
    __asm volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

/* `len` bytes of host file `name` from byte `offset` into dst (SYS_OPEN "rb", SYS_SEEK,
 * SYS_READ, SYS_CLOSE): 0 when all were read. Relative names are the emulator's folder. */
static inline int tq_semihost_read(const char *name, uint32_t offset, uint8_t *dst, uint32_t len)
{
    uint32_t n = 0;
    while (name[n]) {
        ++n;
    }
    volatile uint32_t open_args[3] = {(uint32_t)(uintptr_t)name, 1u, n};
    const uint32_t fd = tq_semihost_call(0x01u, open_args);
    if (fd == 0xFFFFFFFFu) {
        return -1;
    }
    volatile uint32_t seek_args[2] = {fd, offset};
    volatile uint32_t read_args[3] = {fd, (uint32_t)(uintptr_t)dst, len};
    const int ok = tq_semihost_call(0x0Au, seek_args) == 0 && tq_semihost_call(0x06u, read_args) == 0;
    volatile uint32_t close_args[1] = {fd};
    (void)tq_semihost_call(0x02u, close_args);
    return ok ? 0 : -1;
}

/* A whole board from this header: a board.c that defines TQ_CMSDK_UART0 (and TQ_CMSDK_TIMER0
 * with TQ_CMSDK_COUNTER_HZ, its clock) and then includes this file gets every function of
 * tq_board.h. Without TQ_CMSDK_TIMER0 the board.c defines tq_counter_kind, tq_counter_hz,
 * tq_board_init() and tq_counter() itself (a board whose counter is not a CMSDK timer). */
#ifdef TQ_CMSDK_UART0
#include "tq_board.h"

#ifdef TQ_CMSDK_TIMER0
const char tq_counter_kind[] = "qemu_timer";
const uint32_t tq_counter_hz = TQ_CMSDK_COUNTER_HZ;

void tq_board_init(void)
{
    tq_cmsdk_uart_init(TQ_CMSDK_UART0);
    tq_cmsdk_timer_start(TQ_CMSDK_TIMER0);
}

uint32_t tq_counter(void)
{
    return tq_cmsdk_timer_elapsed(TQ_CMSDK_TIMER0);
}
#endif

void tq_uart_write(const uint8_t *data, uint32_t len)
{
    tq_cmsdk_uart_write(TQ_CMSDK_UART0, data, len);
}

uint8_t tq_uart_read_byte(void)
{
    return tq_cmsdk_uart_read(TQ_CMSDK_UART0);
}

void tq_board_exit(int code)
{
    tq_semihost_exit(code);
}

/* Every CMSDK board here is emulated with semihosting on: the bench's 'F' inputs come from a file. */
int tq_board_has_files(void)
{
    return 1;
}

int tq_board_file_read(const char *name, uint32_t offset, uint8_t *dst, uint32_t len)
{
    return tq_semihost_read(name, offset, dst, len);
}

void tq_fault(void)
{
    tq_board_exit(3);   /* a fault ends the emulation with a distinct code instead of hanging */
}
#endif

#endif
