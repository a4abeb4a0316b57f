// The vector file: every (id, vector) row of the collection in one file that search maps at
// start-up instead of reading the catalog (docs/FORMATS.md, "Vector file", byte by byte).
//
// A 256-byte header (magic, format version, dim, count, the catalog's generation counter, the
// model id, a checksum of the whole file), then the ids (int64), then the vectors (float32,
// 64-byte aligned). write_vector_file() is atomic (core/atomic_file.h): a crash or a full disk
// leaves the previous file in place. VectorFile::open() refuses, with a Status naming the file
// and the mismatch, any file that is truncated, corrupted (checksum), of another format version,
// or built for another generation, model or dimension; the caller then rebuilds it from the
// catalog. The whole file is checksummed at open: about 200 MB for 100,000 768-d vectors,
// verified on the thread pool well inside the one-second start-up budget (bench/RESULTS.md).
//
// A VectorFile owns its map; view() points into it and is valid while the object lives.
// Const methods are thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "clipsearch/status.h"
#include "core/mapped_file.h"
#include "index/vector_index.h"

namespace clipsearch {

inline constexpr uint32_t kVectorFileVersion = 1;
inline constexpr size_t kMaxModelIdBytes = 192;

// What the rows were built with; a file opened for other values is refused.
struct VectorFileInfo {
  std::string model_id;     // the embedding model (at most kMaxModelIdBytes bytes)
  uint64_t generation = 0;  // the catalog's generation counter when the rows were read
};

// Writes rows.ids[count] and rows.vectors[count, dim] to `path` atomically.
Status write_vector_file(const std::string& path, const VectorFileInfo& info,
                         const VectorView& rows);

class VectorFile {
 public:
  // Opens and verifies `path`. `expected_dim` 0 accepts any dimension.
  static Result<VectorFile> open(const std::string& path, const VectorFileInfo& expected,
                                 int64_t expected_dim = 0);

  const VectorView& view() const { return view_; }
  const VectorFileInfo& info() const { return info_; }

 private:
  MappedFile map_;
  VectorView view_;
  VectorFileInfo info_;
};

}  // namespace clipsearch
