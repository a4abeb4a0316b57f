// Shared by catalog.cpp (opening, the model, writing) and catalog_query.cpp (reading): the
// statement cache and the row helpers. Not part of the catalog's interface.
#pragma once

#include <sqlite3.h>

#include <array>
#include <chrono>
#include <cstring>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "index/catalog.h"

namespace clipsearch::catalog_detail {

// The columns read_record reads, by schema version: a catalog opened read-only at version 1 or
// 2 has no duration_ms, one at 3 no camera (read as NULL: not read yet).
#define CLIPSEARCH_IMAGE_COLUMNS                                                                 \
  "id, path, root_id, size, mtime_ns, hash, width, height, format, date_taken_ns, date_source, " \
  "status, error, indexed_at_ns, "
inline constexpr const char* kImageColumns = CLIPSEARCH_IMAGE_COLUMNS "duration_ms, camera";
inline constexpr const char* kImageColumnsV3 = CLIPSEARCH_IMAGE_COLUMNS "duration_ms, NULL";
inline constexpr const char* kImageColumnsV2 = CLIPSEARCH_IMAGE_COLUMNS "0, NULL";
#undef CLIPSEARCH_IMAGE_COLUMNS
inline constexpr int kImageColumnCount = 16;

// "SELECT <image columns> <tail>" for versions 1-2, 3 and 4, in that order. Each call site keeps
// its own in a static: the statement cache is keyed by the SQL's address.
using ImageSelects = std::array<std::string, 3>;
inline ImageSelects image_selects(const char* tail) {
  return {std::string("SELECT ") + kImageColumnsV2 + tail,
          std::string("SELECT ") + kImageColumnsV3 + tail,
          std::string("SELECT ") + kImageColumns + tail};
}

inline int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline std::string column_bytes(sqlite3_stmt* s, int i) {
  const void* p = sqlite3_column_blob(s, i);
  const int n = sqlite3_column_bytes(s, i);
  return p ? std::string(static_cast<const char*>(p), static_cast<size_t>(n)) : std::string();
}

inline ImageRecord read_record(sqlite3_stmt* s) {
  ImageRecord r;
  r.id = sqlite3_column_int64(s, 0);
  r.path = column_bytes(s, 1);
  r.root_id = sqlite3_column_int64(s, 2);
  r.size = sqlite3_column_int64(s, 3);
  r.mtime_ns = sqlite3_column_int64(s, 4);
  r.hash = column_bytes(s, 5);
  r.width = sqlite3_column_int(s, 6);
  r.height = sqlite3_column_int(s, 7);
  r.format = column_bytes(s, 8);
  r.date_taken_ns = sqlite3_column_int64(s, 9);
  r.date_from_exif = column_bytes(s, 10) == "exif";
  r.status = sqlite3_column_int(s, 11) == 0 ? ImageStatus::kOk : ImageStatus::kError;
  r.error = column_bytes(s, 12);
  r.indexed_at_ns = sqlite3_column_int64(s, 13);
  r.duration_ms = sqlite3_column_int64(s, 14);
  r.camera = column_bytes(s, 15);
  return r;
}

// Paths under `folder`: the BLOB range [folder + "/", folder + "0") ('0' follows '/').
inline std::pair<std::string, std::string> folder_range(std::string folder) {
  while (folder.size() > 1 && folder.back() == '/') folder.pop_back();
  if (folder == "/") folder.clear();
  return {folder + "/", folder + "0"};
}

inline void bind_bytes(sqlite3_stmt* s, int i, const std::string& bytes) {
  sqlite3_bind_blob64(s, i, bytes.data(), bytes.size(), SQLITE_TRANSIENT);
}

// A float array as a little-endian float32 BLOB (an empty array is an empty BLOB); null: NULL.
inline void bind_floats(sqlite3_stmt* s, int i, const std::vector<float>* values) {
  if (values == nullptr) {
    sqlite3_bind_null(s, i);
  } else {
    sqlite3_bind_blob64(s, i, values->empty() ? "" : static_cast<const void*>(values->data()),
                        values->size() * sizeof(float), SQLITE_TRANSIENT);
  }
}

inline std::vector<float> column_floats(sqlite3_stmt* s, int i) {
  const auto n = static_cast<size_t>(sqlite3_column_bytes(s, i)) / sizeof(float);
  std::vector<float> out(n);
  if (n) std::memcpy(out.data(), sqlite3_column_blob(s, i), n * sizeof(float));
  return out;
}

inline std::string join_excludes(const std::vector<std::string>& excludes) {
  std::string out;
  for (const auto& e : excludes) out += e + '\0';
  return out;
}

inline std::vector<std::string> split_excludes(const std::string& bytes) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (bytes[i] == '\0') {
      out.push_back(bytes.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

}  // namespace clipsearch::catalog_detail

namespace clipsearch {

// Prepared statements, kept for the connection's life and reset after each use.
struct Catalog::Statements {
  std::map<const char*, sqlite3_stmt*> cache;
  ~Statements() {
    for (auto& [sql, stmt] : cache) sqlite3_finalize(stmt);
  }
};

// Resets a cached statement when a scope ends, whatever path leaves it.
class StmtGuard {
 public:
  explicit StmtGuard(sqlite3_stmt* s) : s_(s) {}
  ~StmtGuard() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  StmtGuard(const StmtGuard&) = delete;
  StmtGuard& operator=(const StmtGuard&) = delete;

 private:
  sqlite3_stmt* s_;
};

}  // namespace clipsearch
