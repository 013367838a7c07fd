/* Included first by the benchmark harness's sources (main loop, protocol, frame parser, CRC,
 * startup, board support): none of it runs per element of an inference, so it is built for size
 * (-Os) whatever the kernels are built with. The per-layer profiling hooks run between layers
 * and are measured out of the layers' counts (bench_main.c), so their speed does not matter
 * either. Loops stay loops (no-tree-loop-distribute-patterns): GCC would otherwise turn the
 * semihosting file name's length loop into a call that links libc's 220-byte strlen. Only GCC
 * has the pragma; other compilers (the host fuzz harness's clang) build as told. */
#ifndef TQ_COLD_H
#define TQ_COLD_H

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("Os", "no-tree-loop-distribute-patterns")
#endif

#endif
