#ifndef CS3CHECKSUMS_H
#define CS3CHECKSUMS_H

#include <stddef.h>
#include <stdint.h>

/// Whether this CPU computes CRC-32C in hardware (SSE4.2 on x86-64, the CRC extension on ARMv8).
int s3sync_crc32c_hardware_available(void);

/// Continues a CRC-32C over `length` bytes with the CPU's CRC instructions. `crc` is the running
/// state (start with 0xFFFFFFFF; the checksum is its complement). Only call it when
/// `s3sync_crc32c_hardware_available()` is true.
uint32_t s3sync_crc32c_hardware_update(uint32_t crc, const void *data, size_t length);

#endif
