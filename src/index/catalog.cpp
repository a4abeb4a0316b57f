// The catalog on SQLite. Choices (docs/FORMATS.md has the schema):
// - WAL journal: readers (search) never block the indexer and always see a committed state,
//   also right after a kill -9 (the next opener replays or discards the WAL).
// - synchronous = NORMAL: in WAL mode a crash of the process loses nothing that was committed;
//   a power cut can lose the last few transactions but never corrupts the file. Those are
//   batches the next `clipsearch index` embeds again, so the fsync per batch that FULL costs
//   buys nothing here.
// - busy_timeout: a reader that meets a checkpoint waits instead of failing.
// - AUTOINCREMENT ids: an id is never reused after its row is removed, so an id held by a stale
//   vector index can never name another image.
#include "index/catalog.h"

#include "core/errno_status.h"
#include "index/catalog_internal.h"
#include "index/sqlite_status.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <random>

namespace clipsearch {

static_assert(std::endian::native == std::endian::little, "embeddings are stored little-endian");

namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE meta(key TEXT PRIMARY KEY, value NOT NULL);
CREATE TABLE roots(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  path BLOB NOT NULL UNIQUE,
  excludes BLOB NOT NULL DEFAULT x'',
  added_at_ns INTEGER NOT NULL);
CREATE TABLE images(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  path BLOB NOT NULL UNIQUE,
  root_id INTEGER NOT NULL,
  size INTEGER NOT NULL,
  mtime_ns INTEGER NOT NULL,
  hash BLOB,
  width INTEGER NOT NULL DEFAULT 0,
  height INTEGER NOT NULL DEFAULT 0,
  format TEXT NOT NULL DEFAULT '',
  date_taken_ns INTEGER NOT NULL DEFAULT 0,
  date_source TEXT NOT NULL DEFAULT 'mtime',
  status INTEGER NOT NULL,
  error TEXT,
  embedding BLOB,
  indexed_at_ns INTEGER NOT NULL,
  color BLOB,
  duration_ms INTEGER,
  camera TEXT);
CREATE INDEX images_hash ON images(hash);
CREATE INDEX images_date ON images(date_taken_ns);
CREATE TABLE frames(
  image_id INTEGER NOT NULL,
  time_ms INTEGER NOT NULL,
  embedding BLOB NOT NULL,
  PRIMARY KEY(image_id, time_ms)) WITHOUT ROWID;
)sql";

// 128 random bits as hex: the catalog's id (meta key catalog_id).
std::string random_id() {
  std::random_device device;
  std::string out;
  for (int i = 0; i < 4; ++i) {
    char word[9];
    std::snprintf(word, sizeof word, "%08x", static_cast<unsigned>(device()));
    out += word;
  }
  return out;
}
// Version 1 -> 2: the colour signature column. Existing rows get NULL ("not computed yet"), which
// the next `clipsearch index` fills in without re-embedding.
constexpr const char* kMigrateTo2 =
    "ALTER TABLE images ADD COLUMN color BLOB; "
    "UPDATE meta SET value = 2 WHERE key = 'schema_version';";
// Version 2 -> 3: videos. Existing rows are photos (duration NULL) without frames.
constexpr const char* kMigrateTo3 =
    "ALTER TABLE images ADD COLUMN duration_ms INTEGER; "
    "CREATE TABLE frames(image_id INTEGER NOT NULL, time_ms INTEGER NOT NULL, "
    "embedding BLOB NOT NULL, PRIMARY KEY(image_id, time_ms)) WITHOUT ROWID; "
    "UPDATE meta SET value = 3 WHERE key = 'schema_version';";
// Version 3 -> 4: the camera (EXIF Make and Model). Existing rows get NULL ("not read yet"); a
// row gets its camera when its file is read again: `clipsearch reindex`, or a change to the file.
constexpr const char* kMigrateTo4 =
    "ALTER TABLE images ADD COLUMN camera TEXT; "
    "UPDATE meta SET value = 4 WHERE key = 'schema_version';";

}  // namespace

using namespace catalog_detail;

Catalog::Catalog(std::string path, sqlite3* db)
    : path_(std::move(path)), db_(db), st_(std::make_unique<Statements>()) {}

Catalog::~Catalog() {
  if (in_write_) rollback();
  st_.reset();
  sqlite3_close_v2(db_);
}

Status Catalog::error(const char* what) const {
  const int code = sqlite3_extended_errcode(db_);
  std::string msg = path_ + ": " + what + ": " + sqlite3_errmsg(db_);
  if ((code & 0xff) == SQLITE_FULL || code == SQLITE_IOERR_WRITE || code == SQLITE_IOERR_FSYNC) {
    msg += " (is the disk full? the catalog is unchanged since the last completed batch)";
  }
  return Status::error(sqlite_status_code(code), msg);
}

Status Catalog::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = path_ + ": " + (err ? err : sqlite3_errmsg(db_));
    sqlite3_free(err);
    const int code = sqlite3_extended_errcode(db_) & 0xff;
    if (code == SQLITE_FULL || code == SQLITE_IOERR) {
      msg += " (is the disk full? every batch committed before this one is kept)";
    }
    return Status::error(sqlite_status_code(code), msg);
  }
  return Status();
}

Result<sqlite3_stmt*> Catalog::prepare(const char* sql) {
  auto it = st_->cache.find(sql);
  if (it != st_->cache.end()) return it->second;
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr) != SQLITE_OK) {
    return error("preparing a query");
  }
  st_->cache[sql] = s;
  return s;
}

Result<std::unique_ptr<Catalog>> Catalog::open(const std::string& path, Mode mode) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (mode == Mode::kReadOnly && !fs::exists(path, ec)) {
    return Status::not_found(path + ": no catalog here (`clipsearch index PATH...` creates one)");
  }
  if (mode == Mode::kReadWrite) {
    const fs::path parent = fs::path(path).parent_path();
    if (!parent.empty()) fs::create_directories(parent, ec);
    if (ec)
      return errno_status(ec.value(), parent.string() + ": cannot create folder: " + ec.message());
  }
  sqlite3* db = nullptr;
  const int flags =
      mode == Mode::kReadOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg =
        path + ": cannot open the catalog: " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close_v2(db);
    return Status::error(sqlite_status_code(rc), msg);
  }
  std::unique_ptr<Catalog> catalog(new Catalog(path, db));
  CLIPSEARCH_RETURN_IF_ERROR(catalog->setup(mode));
  return catalog;
}

Status Catalog::setup(Mode mode) {
  sqlite3_busy_timeout(db_, 10000);
  if (mode == Mode::kReadWrite) {
    CLIPSEARCH_RETURN_IF_ERROR(exec("PRAGMA journal_mode = WAL"));
    CLIPSEARCH_RETURN_IF_ERROR(exec("PRAGMA synchronous = NORMAL"));
    CLIPSEARCH_RETURN_IF_ERROR(exec("BEGIN IMMEDIATE"));
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(db_, "SELECT count(*) FROM sqlite_schema WHERE name = 'meta'", -1, &s,
                       nullptr);
    const bool has_schema = s && sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0) > 0;
    const bool step_failed = !s || sqlite3_errcode(db_) == SQLITE_NOTADB;
    sqlite3_finalize(s);
    if (step_failed) {
      Status st = error("not a clipsearch catalog");
      static_cast<void>(exec("ROLLBACK"));
      return st;
    }
    Status st = has_schema ? migrate() : exec(kSchema);
    if (st.ok() && !has_schema) {
      st = exec(("INSERT INTO meta VALUES ('schema_version', " +
                 std::to_string(kCatalogSchemaVersion) + "), ('generation', 0)")
                    .c_str());
    }
    if (st.ok()) {
      st =
          exec(("INSERT OR IGNORE INTO meta VALUES ('catalog_id', '" + random_id() + "')").c_str());
    }
    if (!st.ok()) {
      static_cast<void>(exec("ROLLBACK"));
      return st;
    }
    CLIPSEARCH_RETURN_IF_ERROR(exec("COMMIT"));
  }
  if (mode == Mode::kReadOnly && schema_is_empty()) {
    // A database with no tables: an `index` killed between creating the file and committing its
    // schema. It holds nothing, so it reads as no catalog (the next `index` writes the schema).
    return Status::not_found(path_ +
                             ": the catalog was never written (an index stopped before "
                             "its first commit; `clipsearch index PATH...` creates it)");
  }
  auto version = get_meta("schema_version");
  if (!version.ok()) return Status::corruption(path_ + ": not a clipsearch catalog");
  if (!version->has_value()) return Status::corruption(path_ + ": not a clipsearch catalog");
  // An older catalog opened read-only (a search before the first `index` with this build) is
  // read as it is: version 1 without colour signatures, 1 and 2 without videos, 1 to 3 without
  // cameras.
  const bool current = **version == std::to_string(kCatalogSchemaVersion);
  const bool older = **version == "1" || **version == "2" || **version == "3";
  if (!current && !(mode == Mode::kReadOnly && older)) {
    return Status::unsupported(path_ + ": catalog schema version " + **version +
                               ", this clipsearch reads versions 1 to " +
                               std::to_string(kCatalogSchemaVersion));
  }
  has_colors_ = **version != "1";
  has_frames_ = current || **version == "3";
  has_camera_ = current;
  auto dim = get_meta("embed_dim");
  if (dim.ok() && dim->has_value()) embed_dim_ = std::atoll((*dim)->c_str());
  return Status();
}

bool Catalog::schema_is_empty() {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db_, "SELECT count(*) FROM sqlite_schema", -1, &s, nullptr) != SQLITE_OK) {
    sqlite3_finalize(s);
    return false;
  }
  const bool empty = sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0) == 0;
  sqlite3_finalize(s);
  return empty;
}

const char* Catalog::image_select(const std::array<std::string, 3>& selects) const {
  return selects[has_camera_ ? 2 : has_frames_ ? 1 : 0].c_str();
}

// Upgrades an older schema in place, inside the caller's write transaction. A newer version is
// left alone: the version check after it refuses the file.
Status Catalog::migrate() {
  CLIPSEARCH_ASSIGN_OR_RETURN(std::optional<std::string> version, get_meta("schema_version"));
  if (version.value_or("") == "1") {
    CLIPSEARCH_RETURN_IF_ERROR(exec(kMigrateTo2));
    version = "2";
  }
  if (version.value_or("") == "2") {
    CLIPSEARCH_RETURN_IF_ERROR(exec(kMigrateTo3));
    version = "3";
  }
  if (version.value_or("") == "3") return exec(kMigrateTo4);
  return Status();
}

Result<std::optional<std::string>> Catalog::get_meta(const std::string& key) {
  CLIPSEARCH_ASSIGN_OR_RETURN(sqlite3_stmt * s, prepare("SELECT value FROM meta WHERE key = ?"));
  StmtGuard guard(s);
  sqlite3_bind_text(s, 1, key.c_str(), -1, SQLITE_TRANSIENT);
  const int rc = sqlite3_step(s);
  if (rc == SQLITE_ROW) return std::optional<std::string>(column_bytes(s, 0));
  if (rc == SQLITE_DONE) return std::optional<std::string>();
  return error("reading meta");
}

Status Catalog::set_meta(const std::string& key, const std::string& value) {
  CLIPSEARCH_ASSIGN_OR_RETURN(sqlite3_stmt * s,
                              prepare("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)"));
  StmtGuard guard(s);
  sqlite3_bind_text(s, 1, key.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(s, 2, value.c_str(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
  if (sqlite3_step(s) != SQLITE_DONE) return error("writing meta");
  return Status();
}

Result<std::optional<ModelIdentity>> Catalog::model() {
  CLIPSEARCH_ASSIGN_OR_RETURN(auto fingerprint, get_meta("model_fingerprint"));
  if (!fingerprint) return std::optional<ModelIdentity>();
  ModelIdentity m;
  m.fingerprint = *fingerprint;
  CLIPSEARCH_ASSIGN_OR_RETURN(auto name, get_meta("model_name"));
  CLIPSEARCH_ASSIGN_OR_RETURN(auto pipeline, get_meta("pipeline"));
  CLIPSEARCH_ASSIGN_OR_RETURN(auto precision, get_meta("precision"));
  m.name = name.value_or("");
  m.pipeline = pipeline.value_or("");
  m.precision = precision.value_or("f32");  // made before precisions were recorded
  if (embed_dim_ == 0) {
    // Bound by another connection since this one was opened (a reader opened on a new catalog):
    // the dimension never changes once stored, so it is read once.
    CLIPSEARCH_ASSIGN_OR_RETURN(auto dim, get_meta("embed_dim"));
    if (dim) embed_dim_ = std::atoll(dim->c_str());
  }
  m.embed_dim = embed_dim_;
  return std::optional<ModelIdentity>(m);
}

Status Catalog::check_model(const ModelIdentity& model) {
  CLIPSEARCH_ASSIGN_OR_RETURN(auto stored, this->model());
  if (!stored) return Status();
  if (stored->fingerprint != model.fingerprint) {
    return Status::invalid_argument(
        path_ + ": this catalog was made with model '" + stored->name + "' (fingerprint " +
        stored->fingerprint.substr(0, 16) + ", " + std::to_string(stored->embed_dim) +
        " dimensions), not with '" + model.name + "' (fingerprint " +
        model.fingerprint.substr(0, 16) + ", " + std::to_string(model.embed_dim) +
        " dimensions); use the catalog's model, or re-embed it with `clipsearch "
        "reindex --model " +
        model.name + " --db " + path_ + "`, or give another catalog with --db");
  }
  if (stored->precision != model.precision) {
    return Status::invalid_argument(path_ + ": this catalog was embedded at precision " +
                                    stored->precision + ", not " + model.precision +
                                    "; give --precision " + stored->precision +
                                    ", or convert it with `clipsearch reindex --precision " +
                                    model.precision + " --db " + path_ + "`");
  }
  return Status();
}

Status Catalog::bind_model(const ModelIdentity& model) {
  CLIPSEARCH_ASSIGN_OR_RETURN(auto stored, this->model());
  if (stored) {
    CLIPSEARCH_RETURN_IF_ERROR(check_model(model));
    if (stored->pipeline != model.pipeline) {
      return Status::invalid_argument(
          path_ + ": this catalog's images were decoded with '" + stored->pipeline + "', not '" +
          model.pipeline + "'; give the same options, or re-embed with `clipsearch reindex`");
    }
    return Status();
  }
  CLIPSEARCH_RETURN_IF_ERROR(exec("BEGIN IMMEDIATE"));
  Status st = set_meta("model_name", model.name);
  if (st.ok()) st = set_meta("model_fingerprint", model.fingerprint);
  if (st.ok()) st = set_meta("embed_dim", std::to_string(model.embed_dim));
  if (st.ok()) st = set_meta("pipeline", model.pipeline);
  if (st.ok()) st = set_meta("precision", model.precision);
  if (!st.ok()) {
    static_cast<void>(exec("ROLLBACK"));
    return st;
  }
  CLIPSEARCH_RETURN_IF_ERROR(exec("COMMIT"));
  embed_dim_ = model.embed_dim;
  return Status();
}

Result<std::optional<std::string>> Catalog::catalog_id() { return get_meta("catalog_id"); }

Result<int64_t> Catalog::generation() {
  CLIPSEARCH_ASSIGN_OR_RETURN(auto g, get_meta("generation"));
  return g ? std::atoll(g->c_str()) : int64_t{0};
}
Status Catalog::begin_write() {
  assert(!in_write_);
  CLIPSEARCH_RETURN_IF_ERROR(exec("BEGIN IMMEDIATE"));
  in_write_ = true;
  changed_ = false;
  return Status();
}

Status Catalog::commit() {
  assert(in_write_);
  if (changed_) {
    Status st = exec("UPDATE meta SET value = value + 1 WHERE key = 'generation'");
    if (!st.ok()) {
      rollback();
      return st;
    }
  }
  Status st = exec("COMMIT");
  if (!st.ok()) {
    rollback();
    return st;
  }
  in_write_ = false;
  return Status();
}

void Catalog::rollback() {
  if (!in_write_) return;
  in_write_ = false;
  sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

Result<int64_t> Catalog::add_root(const std::string& path,
                                  const std::vector<std::string>& excludes) {
  assert(in_write_);
  CLIPSEARCH_ASSIGN_OR_RETURN(
      sqlite3_stmt * s,
      prepare("INSERT INTO roots(path, excludes, added_at_ns) VALUES (?, ?, ?) "
              "ON CONFLICT(path) DO UPDATE SET excludes = excluded.excludes RETURNING id"));
  StmtGuard guard(s);
  bind_bytes(s, 1, path);
  bind_bytes(s, 2, join_excludes(excludes));
  sqlite3_bind_int64(s, 3, now_ns());
  if (sqlite3_step(s) != SQLITE_ROW) return error("adding a root");
  return sqlite3_column_int64(s, 0);
}

Result<int64_t> Catalog::put_image(const ImageRecord& r, const float* embedding,
                                   const std::vector<float>* color) {
  assert(in_write_);
  CLIPSEARCH_ASSIGN_OR_RETURN(
      sqlite3_stmt * s,
      prepare("INSERT INTO images(path, root_id, size, mtime_ns, hash, width, height, format, "
              "date_taken_ns, date_source, status, error, embedding, indexed_at_ns, color, "
              "duration_ms, camera) "
              "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, "
              "?17) "
              "ON CONFLICT(path) DO UPDATE SET root_id = ?2, size = ?3, mtime_ns = ?4, "
              "hash = ?5, width = ?6, height = ?7, format = ?8, date_taken_ns = ?9, "
              "date_source = ?10, status = ?11, error = ?12, embedding = ?13, "
              "indexed_at_ns = ?14, color = ?15, duration_ms = ?16, camera = ?17 RETURNING id"));
  StmtGuard guard(s);
  bind_bytes(s, 1, r.path);
  sqlite3_bind_int64(s, 2, r.root_id);
  sqlite3_bind_int64(s, 3, r.size);
  sqlite3_bind_int64(s, 4, r.mtime_ns);
  if (r.hash.empty()) {
    sqlite3_bind_null(s, 5);
  } else {
    bind_bytes(s, 5, r.hash);
  }
  sqlite3_bind_int(s, 6, r.width);
  sqlite3_bind_int(s, 7, r.height);
  sqlite3_bind_text(s, 8, r.format.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(s, 9, r.date_taken_ns);
  sqlite3_bind_text(s, 10, r.date_from_exif ? "exif" : "mtime", -1, SQLITE_STATIC);
  sqlite3_bind_int(s, 11, r.status == ImageStatus::kOk ? 0 : 1);
  if (r.error.empty()) {
    sqlite3_bind_null(s, 12);
  } else {
    sqlite3_bind_text(s, 12, r.error.c_str(), -1, SQLITE_TRANSIENT);
  }
  if (embedding) {
    sqlite3_bind_blob64(s, 13, embedding, static_cast<uint64_t>(embed_dim_) * sizeof(float),
                        SQLITE_TRANSIENT);
  } else {
    sqlite3_bind_null(s, 13);
  }
  sqlite3_bind_int64(s, 14, r.indexed_at_ns ? r.indexed_at_ns : now_ns());
  bind_floats(s, 15, color);
  if (r.duration_ms > 0) {
    sqlite3_bind_int64(s, 16, r.duration_ms);
  } else {
    sqlite3_bind_null(s, 16);
  }
  sqlite3_bind_text(s, 17, r.camera.c_str(), static_cast<int>(r.camera.size()), SQLITE_TRANSIENT);
  if (sqlite3_step(s) != SQLITE_ROW) return error("writing an image");
  changed_ = true;
  const int64_t id = sqlite3_column_int64(s, 0);
  // The row's frames belong to the file's old content: a video writes its new ones next.
  CLIPSEARCH_RETURN_IF_ERROR(delete_frames(id));
  return id;
}

Status Catalog::set_color(int64_t id, const std::vector<float>& color) {
  assert(in_write_);
  CLIPSEARCH_ASSIGN_OR_RETURN(sqlite3_stmt * s,
                              prepare("UPDATE images SET color = ?2 WHERE id = ?1"));
  StmtGuard guard(s);
  sqlite3_bind_int64(s, 1, id);
  bind_floats(s, 2, &color);
  if (sqlite3_step(s) != SQLITE_DONE) return error("writing a colour signature");
  changed_ = true;
  return Status();
}

Status Catalog::move_image(int64_t id, const ImageRecord& r) {
  assert(in_write_);
  CLIPSEARCH_ASSIGN_OR_RETURN(
      sqlite3_stmt * s,
      prepare("UPDATE images SET path = ?2, root_id = ?3, size = ?4, mtime_ns = ?5, "
              "date_taken_ns = ?6, date_source = ?7, indexed_at_ns = ?8, camera = ?9 "
              "WHERE id = ?1"));
  StmtGuard guard(s);
  sqlite3_bind_int64(s, 1, id);
  bind_bytes(s, 2, r.path);
  sqlite3_bind_int64(s, 3, r.root_id);
  sqlite3_bind_int64(s, 4, r.size);
  sqlite3_bind_int64(s, 5, r.mtime_ns);
  sqlite3_bind_int64(s, 6, r.date_taken_ns);
  sqlite3_bind_text(s, 7, r.date_from_exif ? "exif" : "mtime", -1, SQLITE_STATIC);
  sqlite3_bind_int64(s, 8, now_ns());
  sqlite3_bind_text(s, 9, r.camera.c_str(), static_cast<int>(r.camera.size()), SQLITE_TRANSIENT);
  if (sqlite3_step(s) != SQLITE_DONE) return error("moving an image");
  changed_ = true;
  return Status();
}

Status Catalog::remove_image(int64_t id) {
  assert(in_write_);
  CLIPSEARCH_RETURN_IF_ERROR(delete_frames(id));
  CLIPSEARCH_ASSIGN_OR_RETURN(sqlite3_stmt * s, prepare("DELETE FROM images WHERE id = ?"));
  StmtGuard guard(s);
  sqlite3_bind_int64(s, 1, id);
  if (sqlite3_step(s) != SQLITE_DONE) return error("removing an image");
  changed_ = true;
  return Status();
}

Status Catalog::detach_wal() {
  assert(!in_write_);
  for (auto& [sql, stmt] : st_->cache) sqlite3_finalize(stmt);
  st_->cache.clear();  // no statement may stay prepared across the journal mode change
  Status st = exec("PRAGMA wal_checkpoint(TRUNCATE)");
  if (st.ok()) {
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(db_, "PRAGMA journal_mode = DELETE", -1, &s, nullptr);
    const bool done =
        s && sqlite3_step(s) == SQLITE_ROW &&
        std::string(reinterpret_cast<const char*>(sqlite3_column_text(s, 0))) == "delete";
    sqlite3_finalize(s);
    if (!done) st = Status::busy(path_ + ": is open in another process");
  }
  return st;
}

std::string catalog_default_path() {
  const char* data = std::getenv("XDG_DATA_HOME");
  std::string base;
  if (data && data[0] == '/') {
    base = data;
  } else {
    const char* home = std::getenv("HOME");
    base = std::string(home && *home ? home : ".") + "/.local/share";
  }
  return base + "/clipsearch/index.db";
}

Result<CatalogLock> CatalogLock::acquire(const std::string& catalog_path) {
  const std::string lock_path = catalog_path + ".lock";
  std::error_code ec;
  const auto parent = std::filesystem::path(lock_path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    const int e = errno;
    return errno_status(e, lock_path + ": cannot open the lock file: " + std::strerror(e));
  }
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int e = errno;
    ::close(fd);
    if (e == EWOULDBLOCK) {
      return Status::busy(catalog_path +
                          ": another clipsearch is indexing this catalog (it holds " + lock_path +
                          "); wait for it to finish, or give another --db");
    }
    return Status::io_error(lock_path + ": cannot lock: " + std::strerror(e));
  }
  return CatalogLock(fd);
}

CatalogLock::~CatalogLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace clipsearch