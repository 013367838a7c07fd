/* A kernel source's compile-time switches: the model's tq_kernel_config.h, generated with it
 * (tinyq/ops/kernel_config.py says what each switch does), where there is one; a kernel built
 * without it keeps every default. TQ_SIZE_HERE: a kernel file that includes this first builds
 * its functions for size after `#if TQ_SIZE_<NAME>` (GCC; other compilers build as told). */
#ifndef TQ_CONFIG_H
#define TQ_CONFIG_H

#if defined(__has_include)
#if __has_include("tq_kernel_config.h")
#include "tq_kernel_config.h"
#endif
#endif

#if defined(__GNUC__) && !defined(__clang__)
#define TQ_SIZE_HERE _Pragma("GCC optimize(\"Os\")")
#else
#define TQ_SIZE_HERE
#endif

#endif
