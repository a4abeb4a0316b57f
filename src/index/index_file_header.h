// What the two index files (vector_file.h, hnsw_index.h) share when they are opened: a
// fixed-size little-endian header that starts with magic, version, dim, count, generation,
// checksum and model id size, and is followed by data sections covered by one checksum
// (file_checksum.h). Each file keeps its own Header struct; these helpers read and check the
// common fields so both refuse a bad file with the same words (docs/FORMATS.md).
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "clipsearch/status.h"
#include "core/mapped_file.h"
#include "index/file_checksum.h"
#include "index/vector_file.h"

namespace clipsearch {

// One kind of index file: its magic, the format version this build reads, and its name in
// error messages ("vector file", "HNSW index").
struct IndexFileKind {
  const char (&magic)[8];
  uint32_t version;
  const char* name;
};

// Copies the header out of `map` after checking the size, the magic and the version.
template <class Header>
Result<Header> read_index_header(const MappedFile& map, const std::string& path,
                                 const IndexFileKind& kind) {
  if (map.size() < sizeof(Header)) {
    return Status::corruption(path + ": truncated: " + std::to_string(map.size()) +
                              " bytes, shorter than the " + std::to_string(sizeof(Header)) +
                              "-byte header");
  }
  Header h;
  std::memcpy(&h, map.data(), sizeof(Header));
  if (std::memcmp(h.magic, kind.magic, sizeof kind.magic) != 0) {
    return Status::corruption(path + ": not a clipsearch " + kind.name + " (bad magic)");
  }
  if (h.version != kind.version) {
    return Status::unsupported(path + ": " + kind.name + " format version " +
                               std::to_string(h.version) + ", this build reads version " +
                               std::to_string(kind.version));
  }
  return h;
}

// What a writer refuses before writing anything: a model id too long for the header, or rows of
// no or too large a dimension (no reader accepts more than 65536).
Status check_index_rows(const std::string& path, const VectorFileInfo& info,
                        const VectorView& rows);

// Fills the fields every index file header starts with: magic, version, dim, count,
// generation and model id (the rest is the caller's). check_index_rows() must have passed.
template <class Header>
void fill_index_header(Header& h, const IndexFileKind& kind, const VectorFileInfo& info,
                       const VectorView& rows) {
  std::memcpy(h.magic, kind.magic, sizeof kind.magic);
  h.version = kind.version;
  h.dim = static_cast<uint32_t>(rows.dim);
  h.count = static_cast<uint64_t>(rows.count);
  h.generation = info.generation;
  h.model_id_size = static_cast<uint32_t>(info.model_id.size());
  std::memcpy(h.model_id, info.model_id.data(), info.model_id.size());
}

// Refuses a header whose dim, count or model id size is out of range, before any size arithmetic
// (2^40 rows of 2^16 values fit in 64 bits).
template <class Header>
Status check_index_shape(const std::string& path, const Header& h) {
  if (h.dim == 0 || h.dim > 65536 || h.count > (uint64_t{1} << 40) ||
      h.model_id_size > kMaxModelIdBytes) {
    return Status::corruption(path + ": corrupt header (dim " + std::to_string(h.dim) + ", count " +
                              std::to_string(h.count) + ", model id size " +
                              std::to_string(h.model_id_size) + ")");
  }
  return Status();
}

// Refuses a file built for another catalog generation, model or dimension (`expected_dim` 0
// accepts any). Cheap, so it runs before the checksum reads the data.
Status check_index_identity(const std::string& path, const VectorFileInfo& found,
                            uint32_t found_dim, const VectorFileInfo& expected,
                            int64_t expected_dim);

// The identity stored in a header (its model id bytes must already be bounds-checked).
template <class Header>
VectorFileInfo index_identity(const Header& h) {
  return VectorFileInfo{std::string(h.model_id, h.model_id_size), h.generation};
}

// Verifies the stored checksum over the header (checksum field zeroed) and `data` sections.
template <class Header>
Status verify_index_checksum(const std::string& path, const Header& h,
                             const std::vector<ChecksumSection>& data) {
  Header zeroed = h;
  zeroed.checksum = 0;
  std::vector<ChecksumSection> sections{{&zeroed, sizeof(Header)}};
  sections.insert(sections.end(), data.begin(), data.end());
  const uint32_t sum = checksum_sections(sections);
  if (sum != h.checksum) {
    return Status::corruption(path + ": checksum mismatch (file corrupted): stored " +
                              std::to_string(h.checksum) + ", computed " + std::to_string(sum));
  }
  return Status();
}

}  // namespace clipsearch
