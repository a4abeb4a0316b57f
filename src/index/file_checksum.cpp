#include "index/file_checksum.h"

#include <algorithm>
#include <cassert>

#include "core/crc32c.h"
#include "core/thread_pool.h"

namespace clipsearch {

void FileChecksum::update(const void* data, uint64_t size) {
  const auto* p = static_cast<const uint8_t*>(data);
  while (size > 0) {
    const uint64_t n = std::min(size, kChecksumChunk - in_chunk_);
    crc_ = crc32c_extend(crc_, p, n);
    in_chunk_ += n;
    p += n;
    size -= n;
    if (in_chunk_ == kChecksumChunk) end_section();
  }
}

void FileChecksum::end_section() {
  if (in_chunk_ > 0) chunks_.push_back(crc_);
  crc_ = 0;
  in_chunk_ = 0;
}

uint32_t FileChecksum::finish(const void* header, uint64_t header_size) const {
  assert(in_chunk_ == 0);  // end_section() after the last section
  // The chunk CRCs as little-endian bytes (x86 is little-endian; a big-endian port would swap).
  static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__);
  FileChecksum head;
  head.update(header, header_size);
  head.end_section();
  const uint32_t crc = crc32c(head.chunks_.data(), head.chunks_.size() * sizeof(uint32_t));
  return crc32c_extend(crc, chunks_.data(), chunks_.size() * sizeof(uint32_t));
}

uint32_t checksum_sections(const std::vector<ChecksumSection>& sections) {
  struct Chunk {
    const uint8_t* data;
    uint64_t size;
  };
  std::vector<Chunk> chunks;
  for (const ChecksumSection& s : sections) {
    const auto* p = static_cast<const uint8_t*>(s.data);
    for (uint64_t off = 0; off < s.size; off += kChecksumChunk) {
      chunks.push_back({p + off, std::min(kChecksumChunk, s.size - off)});
    }
  }
  std::vector<uint32_t> crcs(chunks.size());
  parallel_for(static_cast<int64_t>(chunks.size()), [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) crcs[i] = crc32c(chunks[i].data, chunks[i].size);
  });
  return crc32c(crcs.data(), crcs.size() * sizeof(uint32_t));
}

}  // namespace clipsearch
