// The catalog's video frames (schema version 3, docs/FORMATS.md): one row per embedded frame,
// keyed by its video's image id and its time. Schema and choices: catalog.cpp.
#include <sqlite3.h>

#include <cstring>

#include "index/catalog.h"
#include "index/catalog_internal.h"

namespace clipsearch {

using namespace catalog_detail;

namespace {

// Appends the rows of a `SELECT image_id, time_ms, embedding` to `out`; false on a row whose
// embedding has another length than `dim` (never written so: a damaged file).
bool read_frame_rows(sqlite3_stmt* s, FrameSnapshot* out, int* rc) {
  while ((*rc = sqlite3_step(s)) == SQLITE_ROW) {
    const auto bytes = static_cast<size_t>(sqlite3_column_bytes(s, 2));
    if (bytes != static_cast<size_t>(out->dim) * sizeof(float)) return false;
    out->image_ids.push_back(sqlite3_column_int64(s, 0));
    out->times_ms.push_back(sqlite3_column_int64(s, 1));
    const size_t at = out->vectors.size();
    out->vectors.resize(at + static_cast<size_t>(out->dim));
    std::memcpy(out->vectors.data() + at, sqlite3_column_blob(s, 2), bytes);
  }
  return true;
}

}  // namespace

Status Catalog::delete_frames(int64_t id) {
  if (!has_frames_) return Status();
  CLIPSEARCH_ASSIGN_OR_RETURN(sqlite3_stmt * s, prepare("DELETE FROM frames WHERE image_id = ?"));
  StmtGuard guard(s);
  sqlite3_bind_int64(s, 1, id);
  if (sqlite3_step(s) != SQLITE_DONE) return error("removing frames");
  return Status();
}

Status Catalog::put_frames(int64_t id, const std::vector<int64_t>& times_ms,
                           const float* embeddings) {
  assert(in_write_);
  CLIPSEARCH_RETURN_IF_ERROR(delete_frames(id));
  CLIPSEARCH_ASSIGN_OR_RETURN(
      sqlite3_stmt * s,
      prepare("INSERT INTO frames(image_id, time_ms, embedding) VALUES (?, ?, ?)"));
  const auto bytes = static_cast<uint64_t>(embed_dim_) * sizeof(float);
  for (size_t i = 0; i < times_ms.size(); ++i) {
    StmtGuard guard(s);
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_int64(s, 2, times_ms[i]);
    sqlite3_bind_blob64(s, 3, embeddings + i * static_cast<size_t>(embed_dim_), bytes,
                        SQLITE_TRANSIENT);
    if (sqlite3_step(s) != SQLITE_DONE) return error("writing a frame");
  }
  changed_ = true;
  return Status();
}

Status Catalog::copy_frames(int64_t from, int64_t to) {
  assert(in_write_);
  CLIPSEARCH_RETURN_IF_ERROR(delete_frames(to));
  CLIPSEARCH_ASSIGN_OR_RETURN(
      sqlite3_stmt * s, prepare("INSERT INTO frames(image_id, time_ms, embedding) "
                                "SELECT ?2, time_ms, embedding FROM frames WHERE image_id = ?1"));
  StmtGuard guard(s);
  sqlite3_bind_int64(s, 1, from);
  sqlite3_bind_int64(s, 2, to);
  if (sqlite3_step(s) != SQLITE_DONE) return error("copying frames");
  changed_ = true;
  return Status();
}

Result<FrameSnapshot> Catalog::read_frames() {
  FrameSnapshot out;
  out.dim = embed_dim_;
  if (!has_frames_) return out;
  CLIPSEARCH_ASSIGN_OR_RETURN(
      sqlite3_stmt * s,
      prepare("SELECT f.image_id, f.time_ms, f.embedding FROM frames f JOIN images i "
              "ON i.id = f.image_id WHERE i.status = 0 ORDER BY f.image_id, f.time_ms"));
  StmtGuard guard(s);
  int rc = SQLITE_DONE;
  if (!read_frame_rows(s, &out, &rc)) {
    return Status::corruption(path_ + ": a frame embedding of the wrong length");
  }
  if (rc != SQLITE_DONE) return error("reading frames");
  return out;
}

Result<FrameSnapshot> Catalog::get_frames(int64_t id) {
  FrameSnapshot out;
  out.dim = embed_dim_;
  if (!has_frames_) return out;
  CLIPSEARCH_ASSIGN_OR_RETURN(sqlite3_stmt * s,
                              prepare("SELECT image_id, time_ms, embedding FROM frames "
                                      "WHERE image_id = ? ORDER BY time_ms"));
  StmtGuard guard(s);
  sqlite3_bind_int64(s, 1, id);
  int rc = SQLITE_DONE;
  if (!read_frame_rows(s, &out, &rc)) {
    return Status::corruption(path_ + ": a frame embedding of the wrong length");
  }
  if (rc != SQLITE_DONE) return error("reading frames");
  return out;
}

Result<std::vector<FormatCount>> Catalog::count_by_format() {
  static const char* kWithFrames =
      "SELECT format, count(*), sum((SELECT count(*) FROM frames f WHERE f.image_id = i.id)) "
      "FROM images i WHERE status = 0 GROUP BY format ORDER BY format";
  static const char* kWithout =
      "SELECT format, count(*), 0 FROM images WHERE status = 0 GROUP BY format ORDER BY format";
  CLIPSEARCH_ASSIGN_OR_RETURN(sqlite3_stmt * s, prepare(has_frames_ ? kWithFrames : kWithout));
  StmtGuard guard(s);
  std::vector<FormatCount> out;
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    out.push_back({column_bytes(s, 0), sqlite3_column_int64(s, 1), sqlite3_column_int64(s, 2)});
  }
  if (rc != SQLITE_DONE) return error("counting formats");
  return out;
}

Result<std::vector<ValueCount>> Catalog::count_by_folder() {
  // rtrim(path, <the path's characters other than '/'>) cuts the file name: "/a/b/c.jpg" ->
  // "/a/b/".
  CLIPSEARCH_ASSIGN_OR_RETURN(
      std::vector<ValueCount> out,
      count_by("SELECT rtrim(path, replace(path, '/', '')) AS folder, count(*) FROM images "
               "WHERE status = 0 GROUP BY folder ORDER BY folder",
               "counting folders"));
  for (ValueCount& f : out) {
    if (f.value.size() > 1 && f.value.back() == '/') f.value.pop_back();
  }
  return out;
}

Result<std::vector<ValueCount>> Catalog::count_by_camera() {
  if (!has_camera_) return std::vector<ValueCount>();
  return count_by(
      "SELECT camera, count(*) FROM images WHERE status = 0 AND camera IS NOT NULL "
      "AND camera != '' GROUP BY camera ORDER BY camera",
      "counting cameras");
}

Result<std::vector<ValueCount>> Catalog::count_by(const char* sql, const char* what) {
  CLIPSEARCH_ASSIGN_OR_RETURN(sqlite3_stmt * s, prepare(sql));
  StmtGuard guard(s);
  std::vector<ValueCount> out;
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    out.push_back({column_bytes(s, 0), sqlite3_column_int64(s, 1)});
  }
  if (rc != SQLITE_DONE) return error(what);
  return out;
}

}  // namespace clipsearch
