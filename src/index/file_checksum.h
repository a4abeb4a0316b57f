// The checksum of the index files (vector_file.h, hnsw_index.h): the file is a list of
// sections (the header with its checksum field zeroed, then each data array), each cut into
// 1 MiB chunks from its start; the checksum is the CRC32C of the little-endian CRC32C of every
// chunk in order. Chunks are independent, so a 200 MB file is verified on all the pool's
// threads, and a writer computes the same value while streaming (docs/FORMATS.md).
#pragma once

#include <cstdint>
#include <vector>

namespace clipsearch {

inline constexpr uint64_t kChecksumChunk = uint64_t{1} << 20;

struct ChecksumSection {
  const void* data;
  uint64_t size;
};

// Streaming form, for writers: update() with a section's bytes (in any pieces), end_section()
// after each section, finish() once. A header written last (it holds the checksum) is passed
// to finish(), which puts its chunks in front of the others.
class FileChecksum {
 public:
  void update(const void* data, uint64_t size);
  void end_section();
  uint32_t finish(const void* header = nullptr, uint64_t header_size = 0) const;

 private:
  std::vector<uint32_t> chunks_;
  uint32_t crc_ = 0;
  uint64_t in_chunk_ = 0;
};

// The same value for sections in memory, chunks spread over the thread pool.
uint32_t checksum_sections(const std::vector<ChecksumSection>& sections);

}  // namespace clipsearch
