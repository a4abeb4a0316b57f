// CRC32C (Castagnoli polynomial, as in iSCSI, ext4 and LevelDB's crc32c): the checksum of the
// files the project writes itself. The SSE4.2 instruction from the AVX2 level up
// (core/isa.h), a table at the scalar level; both give the same value. Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>

namespace clipsearch {

// Extends `crc` (the value returned for the bytes before; 0 to start) with `size` bytes.
uint32_t crc32c_extend(uint32_t crc, const void* data, size_t size);
inline uint32_t crc32c(const void* data, size_t size) { return crc32c_extend(0, data, size); }

}  // namespace clipsearch
