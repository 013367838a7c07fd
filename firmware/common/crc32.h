#ifndef TQ_CRC32_H
#define TQ_CRC32_H

#include <stdint.h>

/* CRC-32 (IEEE 802.3, reflected, as zlib.crc32): pass 0 to start, the previous value to continue. */
uint32_t tq_crc32(uint32_t crc, const uint8_t *data, uint32_t len);

#endif
