#include "index/vector_file.h"

#include <cstring>

#include "core/atomic_file.h"
#include "index/file_checksum.h"
#include "index/index_file_header.h"

namespace clipsearch {
namespace {

constexpr char kMagic[8] = {'C', 'L', 'I', 'P', 'V', 'E', 'C', 'S'};
constexpr uint64_t kHeaderSize = 256;
constexpr uint64_t kAlign = 64;
constexpr IndexFileKind kKind{kMagic, kVectorFileVersion, "vector file"};

// The header as laid out on disk (little-endian); docs/FORMATS.md.
struct Header {
  char magic[8];
  uint32_t version;
  uint32_t dim;
  uint64_t count;
  uint64_t generation;
  uint32_t checksum;
  uint32_t model_id_size;
  uint64_t ids_offset;
  uint64_t vectors_offset;
  uint64_t file_size;
  char model_id[kMaxModelIdBytes];
};
static_assert(sizeof(Header) == kHeaderSize);
static_assert(offsetof(Header, checksum) == 32 && offsetof(Header, model_id) == 64);

uint64_t align_up(uint64_t x) { return (x + kAlign - 1) / kAlign * kAlign; }

// Offsets of the sections for `count` rows of `dim` floats.
void layout(uint64_t count, uint64_t dim, Header& h) {
  h.ids_offset = kHeaderSize;
  h.vectors_offset = align_up(kHeaderSize + count * sizeof(int64_t));
  h.file_size = h.vectors_offset + count * dim * sizeof(float);
}

}  // namespace

Status write_vector_file(const std::string& path, const VectorFileInfo& info,
                         const VectorView& rows) {
  CLIPSEARCH_RETURN_IF_ERROR(check_index_rows(path, info, rows));
  Header h{};
  fill_index_header(h, kKind, info, rows);
  layout(h.count, h.dim, h);

  const uint64_t ids_bytes = h.count * sizeof(int64_t);
  const uint64_t vector_bytes = h.count * h.dim * sizeof(float);
  h.checksum =
      checksum_sections({{&h, kHeaderSize}, {rows.ids, ids_bytes}, {rows.vectors, vector_bytes}});

  CLIPSEARCH_ASSIGN_OR_RETURN(AtomicFile file, AtomicFile::create(path));
  CLIPSEARCH_RETURN_IF_ERROR(file.append(&h, kHeaderSize));
  CLIPSEARCH_RETURN_IF_ERROR(file.append(rows.ids, ids_bytes));
  CLIPSEARCH_RETURN_IF_ERROR(file.pad_to(kAlign));
  CLIPSEARCH_RETURN_IF_ERROR(file.append(rows.vectors, vector_bytes));
  assert(file.size() == h.file_size);
  return file.commit();
}

Result<VectorFile> VectorFile::open(const std::string& path, const VectorFileInfo& expected,
                                    int64_t expected_dim) {
  CLIPSEARCH_ASSIGN_OR_RETURN(MappedFile map, MappedFile::open(path));
  const uint64_t size = map.size();
  CLIPSEARCH_ASSIGN_OR_RETURN(const Header h, read_index_header<Header>(map, path, kKind));
  // Bounds that keep every offset computation below from overflowing (2^40 rows of 2^16
  // floats is 2^58 bytes).
  CLIPSEARCH_RETURN_IF_ERROR(check_index_shape(path, h));
  Header expected_layout{};
  layout(h.count, h.dim, expected_layout);
  if (h.ids_offset != expected_layout.ids_offset ||
      h.vectors_offset != expected_layout.vectors_offset ||
      h.file_size != expected_layout.file_size) {
    return Status::corruption(path + ": corrupt header (section offsets do not match dim " +
                              std::to_string(h.dim) + " and count " + std::to_string(h.count) +
                              ")");
  }
  if (size != h.file_size) {
    return Status::corruption(path + ": truncated or extended: header says " +
                              std::to_string(h.file_size) + " bytes for " +
                              std::to_string(h.count) + " vectors of dim " + std::to_string(h.dim) +
                              ", file has " + std::to_string(size));
  }
  VectorFile file;
  file.info_ = index_identity(h);
  // Cheap mismatches first: a stale file is refused without reading its data.
  CLIPSEARCH_RETURN_IF_ERROR(check_index_identity(path, file.info_, h.dim, expected, expected_dim));
  const uint8_t* base = map.data();
  CLIPSEARCH_RETURN_IF_ERROR(
      verify_index_checksum(path, h,
                            {{base + h.ids_offset, h.count * sizeof(int64_t)},
                             {base + h.vectors_offset, size - h.vectors_offset}}));
  file.view_.ids = reinterpret_cast<const int64_t*>(base + h.ids_offset);
  file.view_.vectors = reinterpret_cast<const float*>(base + h.vectors_offset);
  file.view_.count = static_cast<int64_t>(h.count);
  file.view_.dim = h.dim;
  file.map_ = std::move(map);
  return file;
}

}  // namespace clipsearch
