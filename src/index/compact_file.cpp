#include "index/compact_file.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <filesystem>
#include <vector>

#include "core/atomic_file.h"
#include "core/half.h"
#include "index/file_checksum.h"
#include "index/index_file_header.h"

namespace clipsearch {
namespace {

constexpr char kMagic[8] = {'C', 'L', 'I', 'P', 'V', 'F', '1', '6'};
constexpr uint64_t kHeaderSize = 256;
constexpr IndexFileKind kKind{kMagic, kCompactFileVersion, "compact vector file"};
constexpr int64_t kConvertRows = 4096;  // rows converted per write

// The header as laid out on disk (little-endian); docs/FORMATS.md.
struct Header {
  char magic[8];
  uint32_t version;
  uint32_t dim;
  uint64_t count;
  uint64_t generation;
  uint32_t checksum;
  uint32_t model_id_size;
  uint64_t file_size;
  float recall_at_10;
  uint32_t recall_queries;
  uint64_t reserved;
  char model_id[kMaxModelIdBytes];
};
static_assert(sizeof(Header) == kHeaderSize);
static_assert(offsetof(Header, checksum) == 32 && offsetof(Header, model_id) == 64);

uint64_t file_size_for(uint64_t count, uint64_t dim) {
  return kHeaderSize + count * dim * sizeof(uint16_t);
}

std::vector<uint16_t> to_f16(const float* values, size_t n) {
  std::vector<uint16_t> out(n);
  for (size_t i = 0; i < n; ++i) out[i] = f32_to_f16(values[i]);
  return out;
}

}  // namespace

Status write_compact_file(const std::string& path, const VectorFileInfo& info,
                          const VectorView& rows, const CompactRecall& recall) {
  CLIPSEARCH_RETURN_IF_ERROR(check_index_rows(path, info, rows));
  Header h{};
  fill_index_header(h, kKind, info, rows);
  h.file_size = file_size_for(h.count, h.dim);
  h.recall_at_10 = recall.recall_at_10;
  h.recall_queries = recall.queries;

  // The checksum covers the header and the rows; it is known only once every row is converted,
  // so the header is written again at the end.
  CLIPSEARCH_ASSIGN_OR_RETURN(AtomicFile file, AtomicFile::create(path));
  CLIPSEARCH_RETURN_IF_ERROR(file.append(&h, kHeaderSize));
  FileChecksum checksum;
  for (int64_t r = 0; r < rows.count; r += kConvertRows) {
    const int64_t n = std::min(kConvertRows, rows.count - r);
    const std::vector<uint16_t> part =
        to_f16(rows.vectors + r * rows.dim, static_cast<size_t>(n * rows.dim));
    checksum.update(part.data(), part.size() * sizeof(uint16_t));
    CLIPSEARCH_RETURN_IF_ERROR(file.append(part.data(), part.size() * sizeof(uint16_t)));
  }
  checksum.end_section();
  assert(file.size() == h.file_size);
  h.checksum = checksum.finish(&h, kHeaderSize);  // over the header with its checksum still 0
  CLIPSEARCH_RETURN_IF_ERROR(file.write_at(0, &h, kHeaderSize));
  return file.commit();
}

Result<CompactVectorFile> CompactVectorFile::open(const std::string& path,
                                                  const VectorFileInfo& expected, int64_t count,
                                                  int64_t dim) {
  CLIPSEARCH_ASSIGN_OR_RETURN(MappedFile map, MappedFile::open(path));
  CLIPSEARCH_ASSIGN_OR_RETURN(const Header h, read_index_header<Header>(map, path, kKind));
  CLIPSEARCH_RETURN_IF_ERROR(check_index_shape(path, h));
  if (h.file_size != file_size_for(h.count, h.dim) || map.size() != h.file_size) {
    return Status::corruption(path + ": truncated or extended: " + std::to_string(h.count) +
                              " rows of dim " + std::to_string(h.dim) + " take " +
                              std::to_string(file_size_for(h.count, h.dim)) + " bytes, file has " +
                              std::to_string(map.size()));
  }
  CLIPSEARCH_RETURN_IF_ERROR(check_index_identity(path, index_identity(h), h.dim, expected, dim));
  if (static_cast<int64_t>(h.count) != count) {
    return Status::corruption(path + ": " + std::to_string(h.count) +
                              " rows, the vector file has " + std::to_string(count));
  }
  const uint8_t* base = map.data();
  CLIPSEARCH_RETURN_IF_ERROR(
      verify_index_checksum(path, h, {{base + kHeaderSize, map.size() - kHeaderSize}}));
  CompactVectorFile file;
  file.rows_ = reinterpret_cast<const uint16_t*>(base + kHeaderSize);
  file.recall_ = {h.recall_at_10, h.recall_queries};
  file.map_ = std::move(map);
  return file;
}

Result<CompactRecall> CompactVectorFile::read_recall(const std::string& path) {
  if (!std::filesystem::exists(path)) return Status::not_found(path + ": no compact vector file");
  CLIPSEARCH_ASSIGN_OR_RETURN(MappedFile map, MappedFile::open(path));
  CLIPSEARCH_ASSIGN_OR_RETURN(const Header h, read_index_header<Header>(map, path, kKind));
  return CompactRecall{h.recall_at_10, h.recall_queries};
}

}  // namespace clipsearch
