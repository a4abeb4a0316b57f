// The compact vector store: an F16 copy of the vector file's rows (`<db>.f16`), half the bytes,
// that an exact search scans first before rescoring its best candidates over the F32 rows
// (index/compact_search.h). Optional: a catalog asks for it with the setting `vector_store`
// (docs/FORMATS.md, "Compact vector file", byte by byte).
//
// A 256-byte header (magic, version, dim, count, the catalog's generation, the model id, a
// checksum of the whole file, and the recall@10 against F32 exact measured when it was built),
// then the rows as IEEE binary16, row-major, in the vector file's row order (the ids are the
// vector file's). Written atomically; open() refuses a truncated, corrupt, stale or foreign file
// with a Status naming the file and the problem, and the caller rebuilds it.
//
// A CompactVectorFile owns its map; rows() is valid while the object lives. Const methods are
// thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "clipsearch/status.h"
#include "core/mapped_file.h"
#include "index/vector_file.h"

namespace clipsearch {

inline constexpr uint32_t kCompactFileVersion = 1;

// How far the compact store changes rankings, measured when the file is built.
struct CompactRecall {
  float recall_at_10 = 0;  // mean share of F32 exact's top 10 that the compact search returns
  uint32_t queries = 0;    // sample queries it was measured on
};

// Writes rows.vectors as F16 to `path` atomically, with the recall measured for them.
Status write_compact_file(const std::string& path, const VectorFileInfo& info,
                          const VectorView& rows, const CompactRecall& recall);

class CompactVectorFile {
 public:
  // Opens and verifies `path` for `expected` rows: same generation and model, `count` rows of
  // `dim` values.
  static Result<CompactVectorFile> open(const std::string& path, const VectorFileInfo& expected,
                                        int64_t count, int64_t dim);
  // The recall stored in the header of `path`, without verifying the rows (for status);
  // kNotFound when there is no file.
  static Result<CompactRecall> read_recall(const std::string& path);

  const uint16_t* rows() const { return rows_; }  // [count, dim] binary16
  const CompactRecall& recall() const { return recall_; }

 private:
  MappedFile map_;
  const uint16_t* rows_ = nullptr;
  CompactRecall recall_;
};

}  // namespace clipsearch
