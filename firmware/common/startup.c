/* Cortex-M startup: vector table, .data/.bss set-up, FPU enable, stack painting, then main(). */
#include "tq_cold.h"
#include <stdint.h>
#include <string.h>

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _stack_bottom, _stack_top;
extern int main(void);
void tq_fault(void);

#define TQ_STACK_PAINT 0xA5A5A5A5u

void Reset_Handler(void)
{
    /* a loop, not memcpy: the firmware links libc's (308 B) only if a kernel needs it */
    for (uint32_t *d = &_sdata, *s = &_sidata; d < &_edata; ++d, ++s) {
        *d = *s;
    }
    memset(&_sbss, 0, (uint32_t)((uint8_t *)&_ebss - (uint8_t *)&_sbss));
#if defined(__ARM_FP)
    /* CPACR: full access to CP10 and CP11, before any floating-point instruction runs. */
    *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20;
    __asm volatile("dsb\n isb");
#endif
    /* Paint the stack below the current frame so the high-water mark can be measured. */
    uint32_t *sp;
    __asm volatile("mov %0, sp" : "=r"(sp));
    for (uint32_t *p = &_stack_bottom; p < sp - 16; ++p) {
        *p = TQ_STACK_PAINT;
    }
    main();
    for (;;) {
    }
}

/* Bytes of stack ever used: the painted words the program has overwritten. */
uint32_t tq_stack_high_water(void)
{
    const uint32_t *p = &_stack_bottom;
    while (p < &_stack_top && *p == TQ_STACK_PAINT) {
        ++p;
    }
    return (uint32_t)((const uint8_t *)&_stack_top - (const uint8_t *)p);
}

static void default_handler(void)
{
    tq_fault();
}

__attribute__((section(".isr_vector"), used)) void (*const tq_vectors[16])(void) = {
    (void (*)(void))(&_stack_top),
    Reset_Handler,
    default_handler,  /* NMI */
    default_handler,  /* HardFault */
    default_handler,  /* MemManage */
    default_handler,  /* BusFault */
    default_handler,  /* UsageFault */
    0, 0, 0, 0,
    default_handler,  /* SVCall */
    default_handler,  /* DebugMon */
    0,
    default_handler,  /* PendSV */
    default_handler,  /* SysTick */
};
