/* The few things the benchmark firmware needs from a board. One implementation per board in
 * firmware/boards/<board>/board.c. */
#ifndef TQ_BOARD_H
#define TQ_BOARD_H

#include <stdint.h>

#include "tq_cold.h"

void tq_board_init(void);
void tq_uart_write(const uint8_t *data, uint32_t len);
uint8_t tq_uart_read_byte(void);          /* blocks until a byte arrives */
uint32_t tq_counter(void);                /* free-running, counts up (cycles or timer ticks) */
void tq_board_exit(int code);             /* end the run (emulator) or halt (hardware) */
int tq_board_has_files(void);             /* host files readable (semihosting): 1, else 0 */
/* len bytes of host file `name` from `offset` into dst; 0 on success (boards without files: -1) */
int tq_board_file_read(const char *name, uint32_t offset, uint8_t *dst, uint32_t len);

/* What tq_counter() counts, reported to the host: "cycles" at TQ_COUNTER_HZ, or timer ticks
 * that the host converts to instructions (QEMU with -icount). */
extern const char tq_counter_kind[];
extern const uint32_t tq_counter_hz;

#endif
