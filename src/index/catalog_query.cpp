// The catalog's read side: what the indexer compares with the disk and what search reads
// (embeddings in id order, rows by id, filters). Schema and choices: catalog.cpp.
#include <sqlite3.h>

#include <cstring>

#include "index/catalog.h"
#include "index/catalog_internal.h"

namespace clipsearch {

using namespace catalog_detail;

Result<CatalogStats> Catalog::stats() {
  CatalogStats out;
  CLIPSEARCH_ASSIGN_OR_RETURN(sqlite3_stmt * s,
                              prepare("SELECT status, count(*) FROM images GROUP BY status"));
  {
    StmtGuard guard(s);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      (sqlite3_column_int(s, 0) == 0 ? out.images : out.errors) = sqlite3_column_int64(s, 1);
    }
    if (rc != SQLITE_DONE) return error("counting images");
  }
  CLIPSEARCH_ASSIGN_OR_RETURN(out.generation, generation());
  return out;
}

Result<std::vector<CatalogRoot>> Catalog::roots() {
  CLIPSEARCH_ASSIGN_OR_RETURN(sqlite3_stmt * s,
                              prepare("SELECT id, path, excludes FROM roots ORDER BY id"));
  StmtGuard guard(s);
  std::vector<CatalogRoot> out;
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    out.push_back(
        {sqlite3_column_int64(s, 0), column_bytes(s, 1), split_excludes(column_bytes(s, 2))});
  }
  if (rc != SQLITE_DONE) return error("reading roots");
  return out;
}

Status Catalog::for_each_file_under(const std::string& folder,
                                    const std::function<void(const FileState&)>& fn) {
  CLIPSEARCH_ASSIGN_OR_RETURN(
      sqlite3_stmt * s,
      prepare("SELECT id, path, size, mtime_ns, status, hash, color IS NOT NULL FROM images "
              "WHERE path = ?1 OR (path >= ?2 AND path < ?3) ORDER BY path"));
  StmtGuard guard(s);
  auto [lo, hi] = folder_range(folder);
  bind_bytes(s, 1, folder);
  bind_bytes(s, 2, lo);
  bind_bytes(s, 3, hi);
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    FileState f;
    f.id = sqlite3_column_int64(s, 0);
    f.path = column_bytes(s, 1);
    f.size = sqlite3_column_int64(s, 2);
    f.mtime_ns = sqlite3_column_int64(s, 3);
    f.status = sqlite3_column_int(s, 4) == 0 ? ImageStatus::kOk : ImageStatus::kError;
    f.hash = column_bytes(s, 5);
    f.has_color = sqlite3_column_int(s, 6) != 0;
    fn(f);
  }
  if (rc != SQLITE_DONE) return error("reading images");
  return Status();
}

Result<std::vector<std::string>> Catalog::embedded_hashes() {
  CLIPSEARCH_ASSIGN_OR_RETURN(
      sqlite3_stmt * s,
      prepare("SELECT hash FROM images WHERE status = 0 AND embedding IS NOT NULL"));
  StmtGuard guard(s);
  std::vector<std::string> out;
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) out.push_back(column_bytes(s, 0));
  if (rc != SQLITE_DONE) return error("reading hashes");
  return out;
}

Result<std::optional<std::pair<ImageRecord, std::vector<float>>>> Catalog::find_by_hash(
    const std::string& hash) {
  static const ImageSelects sql = image_selects(
      ", embedding FROM images WHERE hash = ? AND status = 0 AND embedding IS NOT NULL LIMIT 1");
  CLIPSEARCH_ASSIGN_OR_RETURN(sqlite3_stmt * s, prepare(image_select(sql)));
  StmtGuard guard(s);
  bind_bytes(s, 1, hash);
  using Found = std::optional<std::pair<ImageRecord, std::vector<float>>>;
  const int rc = sqlite3_step(s);
  if (rc == SQLITE_DONE) return Found();
  if (rc != SQLITE_ROW) return error("looking up a hash");
  ImageRecord r = read_record(s);
  const std::string bytes = column_bytes(s, kImageColumnCount);
  std::vector<float> e(bytes.size() / sizeof(float));
  std::memcpy(e.data(), bytes.data(), e.size() * sizeof(float));
  return Found(std::make_pair(std::move(r), std::move(e)));
}

Result<std::optional<ImageRecord>> Catalog::find_by_path(const std::string& path) {
  static const ImageSelects sql = image_selects(" FROM images WHERE path = ?");
  CLIPSEARCH_ASSIGN_OR_RETURN(sqlite3_stmt * s, prepare(image_select(sql)));
  StmtGuard guard(s);
  bind_bytes(s, 1, path);
  const int rc = sqlite3_step(s);
  if (rc == SQLITE_DONE) return std::optional<ImageRecord>();
  if (rc != SQLITE_ROW) return error("looking up a path");
  return std::optional<ImageRecord>(read_record(s));
}

Result<std::vector<ImageRecord>> Catalog::get_images(const std::vector<int64_t>& ids) {
  static const ImageSelects sql = image_selects(" FROM images WHERE id = ?");
  CLIPSEARCH_ASSIGN_OR_RETURN(sqlite3_stmt * s, prepare(image_select(sql)));
  std::vector<ImageRecord> out;
  out.reserve(ids.size());
  for (int64_t id : ids) {
    StmtGuard guard(s);
    sqlite3_bind_int64(s, 1, id);
    const int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
      out.push_back(read_record(s));
    } else if (rc != SQLITE_DONE) {
      return error("reading images");
    }
  }
  return out;
}

Result<std::vector<float>> Catalog::get_embedding(int64_t id) {
  CLIPSEARCH_ASSIGN_OR_RETURN(sqlite3_stmt * s,
                              prepare("SELECT embedding FROM images WHERE id = ?"));
  StmtGuard guard(s);
  sqlite3_bind_int64(s, 1, id);
  const int rc = sqlite3_step(s);
  if (rc == SQLITE_DONE)
    return Status::not_found(path_ + ": no image with id " + std::to_string(id));
  if (rc != SQLITE_ROW) return error("reading an embedding");
  const std::string bytes = column_bytes(s, 0);
  std::vector<float> e(bytes.size() / sizeof(float));
  std::memcpy(e.data(), bytes.data(), e.size() * sizeof(float));
  return e;
}

Result<std::optional<std::vector<float>>> Catalog::get_color(int64_t id) {
  using Found = std::optional<std::vector<float>>;
  if (!has_colors_) return Found();
  CLIPSEARCH_ASSIGN_OR_RETURN(sqlite3_stmt * s, prepare("SELECT color FROM images WHERE id = ?"));
  StmtGuard guard(s);
  sqlite3_bind_int64(s, 1, id);
  const int rc = sqlite3_step(s);
  if (rc == SQLITE_DONE || (rc == SQLITE_ROW && sqlite3_column_type(s, 0) == SQLITE_NULL)) {
    return Found();
  }
  if (rc != SQLITE_ROW) return error("reading a colour signature");
  return Found(column_floats(s, 0));
}

Status Catalog::for_each_color(
    const std::function<void(int64_t id, const float* color, size_t n)>& fn) {
  if (!has_colors_) return Status();
  CLIPSEARCH_ASSIGN_OR_RETURN(sqlite3_stmt * s,
                              prepare("SELECT id, color FROM images WHERE status = 0 AND "
                                      "length(color) > 0 ORDER BY id"));
  StmtGuard guard(s);
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    const std::vector<float> color = column_floats(s, 1);
    fn(sqlite3_column_int64(s, 0), color.data(), color.size());
  }
  if (rc != SQLITE_DONE) return error("reading colour signatures");
  return Status();
}

Status Catalog::for_each_embedding(
    const std::function<bool(int64_t id, const float* embedding)>& fn) {
  CLIPSEARCH_ASSIGN_OR_RETURN(sqlite3_stmt * s,
                              prepare("SELECT id, embedding FROM images WHERE status = 0 AND "
                                      "embedding IS NOT NULL ORDER BY id"));
  StmtGuard guard(s);
  const size_t bytes = static_cast<size_t>(embed_dim_) * sizeof(float);
  std::vector<float> aligned(static_cast<size_t>(embed_dim_));
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    if (static_cast<size_t>(sqlite3_column_bytes(s, 1)) != bytes) {
      return Status::corruption(path_ + ": image " + std::to_string(sqlite3_column_int64(s, 0)) +
                                " has an embedding of " +
                                std::to_string(sqlite3_column_bytes(s, 1)) + " bytes, expected " +
                                std::to_string(bytes));
    }
    std::memcpy(aligned.data(), sqlite3_column_blob(s, 1), bytes);
    if (!fn(sqlite3_column_int64(s, 0), aligned.data())) break;
  }
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) return error("reading embeddings");
  return Status();
}

Result<EmbeddingSnapshot> Catalog::read_snapshot() {
  CLIPSEARCH_RETURN_IF_ERROR(exec("BEGIN"));
  EmbeddingSnapshot snap;
  snap.dim = embed_dim_;
  auto gen = generation();
  Status st = gen.status();
  if (st.ok()) {
    snap.generation = *gen;
    st = for_each_embedding([&](int64_t id, const float* e) {
      snap.ids.push_back(id);
      snap.vectors.insert(snap.vectors.end(), e, e + embed_dim_);
      return true;
    });
  }
  static_cast<void>(exec("COMMIT"));
  if (!st.ok()) return st;
  return snap;
}

Result<std::vector<int64_t>> Catalog::filter_ids(const ImageFilter& f) {
  // Built per call (filters vary); values are always bound, never spliced into the SQL.
  std::string sql = "SELECT id FROM images WHERE status = 0";
  if (!f.folders.empty()) {
    sql += " AND (";
    for (size_t i = 0; i < f.folders.size(); ++i) {
      sql += (i ? " OR " : "") + std::string("(path >= ? AND path < ?)");
    }
    sql += ")";
  }
  if (f.date_min_ns) sql += " AND date_taken_ns >= ?";
  if (f.date_max_ns) sql += " AND date_taken_ns <= ?";
  if (f.mtime_min_ns) sql += " AND mtime_ns >= ?";
  if (f.mtime_max_ns) sql += " AND mtime_ns <= ?";
  if (f.size_min) sql += " AND size >= ?";
  if (f.size_max) sql += " AND size <= ?";
  const auto any_of = [&](const char* column, size_t n) {
    if (n == 0) return;
    sql += std::string(" AND ") + column + " IN (";
    for (size_t i = 0; i < n; ++i) sql += i ? ", ?" : "?";
    sql += ")";
  };
  any_of("format", f.formats.size());
  if (!f.cameras.empty() && !has_camera_) return std::vector<int64_t>();  // none known yet
  any_of("camera", f.cameras.size());
  sql += " ORDER BY id";
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr) != SQLITE_OK) {
    return error("preparing a filter");
  }
  int i = 1;
  for (const auto& folder : f.folders) {
    auto [lo, hi] = folder_range(folder);
    bind_bytes(s, i++, lo);
    bind_bytes(s, i++, hi);
  }
  if (f.date_min_ns) sqlite3_bind_int64(s, i++, *f.date_min_ns);
  if (f.date_max_ns) sqlite3_bind_int64(s, i++, *f.date_max_ns);
  if (f.mtime_min_ns) sqlite3_bind_int64(s, i++, *f.mtime_min_ns);
  if (f.mtime_max_ns) sqlite3_bind_int64(s, i++, *f.mtime_max_ns);
  if (f.size_min) sqlite3_bind_int64(s, i++, *f.size_min);
  if (f.size_max) sqlite3_bind_int64(s, i++, *f.size_max);
  for (const auto& format : f.formats) {
    sqlite3_bind_text(s, i++, format.c_str(), -1, SQLITE_TRANSIENT);
  }
  for (const auto& camera : f.cameras) {
    sqlite3_bind_text(s, i++, camera.c_str(), static_cast<int>(camera.size()), SQLITE_TRANSIENT);
  }
  std::vector<int64_t> out;
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) out.push_back(sqlite3_column_int64(s, 0));
  sqlite3_finalize(s);
  if (rc != SQLITE_DONE) return error("filtering images");
  return out;
}

Status Catalog::for_each_image(const std::function<bool(const ImageRecord&)>& fn) {
  static const ImageSelects sql = image_selects(" FROM images ORDER BY id");
  CLIPSEARCH_ASSIGN_OR_RETURN(sqlite3_stmt * s, prepare(image_select(sql)));
  StmtGuard guard(s);
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    if (!fn(read_record(s))) return Status();
  }
  if (rc != SQLITE_DONE) return error("reading images");
  return Status();
}

Result<std::vector<std::pair<std::string, std::string>>> Catalog::failures(int64_t limit) {
  CLIPSEARCH_ASSIGN_OR_RETURN(
      sqlite3_stmt * s,
      prepare("SELECT path, error FROM images WHERE status != 0 ORDER BY path LIMIT ?"));
  StmtGuard guard(s);
  sqlite3_bind_int64(s, 1, limit);
  std::vector<std::pair<std::string, std::string>> out;
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    out.emplace_back(column_bytes(s, 0), column_bytes(s, 1));
  }
  if (rc != SQLITE_DONE) return error("reading failures");
  return out;
}

}  // namespace clipsearch
