#include "index/annotations.h"

#include <sqlite3.h>

#include <filesystem>
#include <string>

#include "index/sqlite_status.h"

namespace clipsearch {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS labels(
  image_id INTEGER NOT NULL,
  label TEXT NOT NULL,
  probability REAL NOT NULL,
  PRIMARY KEY(image_id, label));
CREATE INDEX IF NOT EXISTS labels_label ON labels(label);
CREATE TABLE IF NOT EXISTS album_runs(
  image_id INTEGER NOT NULL,
  themes TEXT NOT NULL,
  PRIMARY KEY(image_id, themes));
CREATE TABLE IF NOT EXISTS albums(
  album TEXT NOT NULL,
  image_id INTEGER NOT NULL,
  score REAL NOT NULL,
  PRIMARY KEY(album, image_id));
CREATE TABLE IF NOT EXISTS album_names(album TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS clicks(
  user TEXT NOT NULL,
  image_id INTEGER NOT NULL,
  at_ns INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS clicks_user ON clicks(user, at_ns);
)sql";

// A prepared statement, finalized on scope exit.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) { rc_ = sqlite3_prepare_v2(db, sql, -1, &st_, nullptr); }
  ~Statement() { sqlite3_finalize(st_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  bool ok() const { return rc_ == SQLITE_OK; }
  sqlite3_stmt* get() { return st_; }
  void bind(int i, int64_t v) { sqlite3_bind_int64(st_, i, v); }
  void bind(int i, double v) { sqlite3_bind_double(st_, i, v); }
  void bind(int i, const std::string& v) {
    sqlite3_bind_text(st_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  int step() { return sqlite3_step(st_); }
  void reset() {
    sqlite3_reset(st_);
    sqlite3_clear_bindings(st_);
  }
  int64_t int64(int col) { return sqlite3_column_int64(st_, col); }
  double real(int col) { return sqlite3_column_double(st_, col); }
  std::string text(int col) {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st_, col));
    return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(st_, col))) : "";
  }

 private:
  sqlite3_stmt* st_ = nullptr;
  int rc_ = SQLITE_ERROR;
};

}  // namespace

Result<std::unique_ptr<Annotations>> Annotations::open(const std::string& path) {
  sqlite3* db = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    const std::string message = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    std::error_code ec;
    const StatusCode code = (rc & 0xff) == SQLITE_CANTOPEN && !std::filesystem::exists(path, ec)
                                ? StatusCode::kNotFound
                                : sqlite_status_code(rc);
    return Status::error(
        code, path + ": cannot open the catalog (" + message + "); run `clipsearch index` first");
  }
  std::unique_ptr<Annotations> a(new Annotations(path, db));
  sqlite3_busy_timeout(db, 10000);
  Statement check(db, "SELECT 1 FROM images LIMIT 1");
  if (!check.ok()) return Status::corruption(path + ": not a clipsearch catalog");
  CLIPSEARCH_RETURN_IF_ERROR(a->exec(kSchema));
  return a;
}

Annotations::~Annotations() { sqlite3_close(db_); }

Status Annotations::exec(const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    const std::string text = message ? message : sqlite3_errmsg(db_);
    sqlite3_free(message);
    return Status::error(sqlite_status_code(sqlite3_extended_errcode(db_)), path_ + ": " + text);
  }
  return Status();
}

Status Annotations::error(const char* what) const {
  return Status::error(sqlite_status_code(sqlite3_extended_errcode(db_)),
                       path_ + ": " + what + ": " + sqlite3_errmsg(db_));
}

Status Annotations::put_labels(const std::vector<ImageLabel>& labels) {
  CLIPSEARCH_RETURN_IF_ERROR(exec("BEGIN IMMEDIATE"));
  Statement clear(db_, "DELETE FROM labels WHERE image_id = ?");
  Statement put(db_, "INSERT OR REPLACE INTO labels(image_id, label, probability) VALUES(?,?,?)");
  if (!clear.ok() || !put.ok()) {
    exec("ROLLBACK").ok();
    return error("storing labels");
  }
  int64_t previous = -1;
  for (const ImageLabel& l : labels) {
    if (l.image_id != previous) {
      clear.bind(1, l.image_id);
      const int rc = clear.step();
      clear.reset();
      if (rc != SQLITE_DONE) {
        exec("ROLLBACK").ok();
        return error("storing labels");
      }
      previous = l.image_id;
    }
    put.bind(1, l.image_id);
    put.bind(2, l.label);
    put.bind(3, static_cast<double>(l.probability));
    const int rc = put.step();
    put.reset();
    if (rc != SQLITE_DONE) {
      exec("ROLLBACK").ok();
      return error("storing labels");
    }
  }
  return exec("COMMIT");
}

Result<std::vector<int64_t>> Annotations::images_with_label(const std::string& label,
                                                            float min_probability) {
  Statement q(db_,
              "SELECT l.image_id FROM labels l JOIN images i ON i.id = l.image_id "
              "WHERE l.label = ? AND l.probability >= ? AND i.status = 0 ORDER BY l.image_id");
  if (!q.ok()) return error("reading labels");
  q.bind(1, label);
  q.bind(2, static_cast<double>(min_probability));
  std::vector<int64_t> ids;
  while (q.step() == SQLITE_ROW) ids.push_back(q.int64(0));
  return ids;
}

Result<std::vector<ImageLabel>> Annotations::labels_of(int64_t image_id) {
  Statement q(db_,
              "SELECT label, probability FROM labels WHERE image_id = ? "
              "ORDER BY probability DESC, label");
  if (!q.ok()) return error("reading labels");
  q.bind(1, image_id);
  std::vector<ImageLabel> out;
  while (q.step() == SQLITE_ROW) {
    out.push_back({image_id, q.text(0), static_cast<float>(q.real(1))});
  }
  return out;
}

Status Annotations::put_album_run(const std::string& themes_fingerprint,
                                  const std::vector<int64_t>& image_ids,
                                  const std::vector<std::pair<std::string, AlbumMember>>& members) {
  CLIPSEARCH_RETURN_IF_ERROR(exec("BEGIN IMMEDIATE"));
  Statement run(db_, "INSERT OR REPLACE INTO album_runs(image_id, themes) VALUES(?, ?)");
  Statement put(db_, "INSERT OR REPLACE INTO albums(album, image_id, score) VALUES(?, ?, ?)");
  if (!run.ok() || !put.ok()) {
    exec("ROLLBACK").ok();
    return error("storing albums");
  }
  for (int64_t id : image_ids) {
    run.bind(1, id);
    run.bind(2, themes_fingerprint);
    const int rc = run.step();
    run.reset();
    if (rc != SQLITE_DONE) {
      exec("ROLLBACK").ok();
      return error("storing albums");
    }
  }
  for (const auto& [album, member] : members) {
    put.bind(1, album);
    put.bind(2, member.image_id);
    put.bind(3, static_cast<double>(member.score));
    const int rc = put.step();
    put.reset();
    if (rc != SQLITE_DONE) {
      exec("ROLLBACK").ok();
      return error("storing albums");
    }
  }
  return exec("COMMIT");
}

Result<std::vector<int64_t>> Annotations::images_without_album_run(
    const std::string& themes_fingerprint) {
  Statement q(db_,
              "SELECT id FROM images WHERE status = 0 AND id NOT IN "
              "(SELECT image_id FROM album_runs WHERE themes = ?) ORDER BY id");
  if (!q.ok()) return error("reading albums");
  q.bind(1, themes_fingerprint);
  std::vector<int64_t> ids;
  while (q.step() == SQLITE_ROW) ids.push_back(q.int64(0));
  return ids;
}

Result<std::vector<AlbumMember>> Annotations::album(const std::string& name) {
  Statement q(db_,
              "SELECT a.image_id, a.score FROM albums a JOIN images i ON i.id = a.image_id "
              "WHERE a.album = ? AND i.status = 0 ORDER BY a.score DESC, a.image_id");
  if (!q.ok()) return error("reading albums");
  q.bind(1, name);
  std::vector<AlbumMember> out;
  while (q.step() == SQLITE_ROW) out.push_back({q.int64(0), static_cast<float>(q.real(1))});
  return out;
}

Result<std::vector<std::string>> Annotations::album_names() {
  Statement q(db_, "SELECT album FROM album_names UNION SELECT album FROM albums ORDER BY album");
  if (!q.ok()) return error("reading albums");
  std::vector<std::string> out;
  while (q.step() == SQLITE_ROW) out.push_back(q.text(0));
  return out;
}

Result<bool> Annotations::use_album_themes(const std::string& themes_fingerprint,
                                           const std::vector<std::string>& names) {
  Statement other(db_, "SELECT 1 FROM album_runs WHERE themes != ? LIMIT 1");
  if (!other.ok()) return error("reading albums");
  other.bind(1, themes_fingerprint);
  const bool forget = other.step() == SQLITE_ROW;
  CLIPSEARCH_RETURN_IF_ERROR(exec("BEGIN IMMEDIATE"));
  const char* clear = forget
                          ? "DELETE FROM album_names; DELETE FROM albums; DELETE FROM album_runs;"
                          : "DELETE FROM album_names;";
  if (Status st = exec(clear); !st.ok()) {
    exec("ROLLBACK").ok();
    return st;
  }
  Statement put(db_, "INSERT OR IGNORE INTO album_names(album) VALUES(?)");
  for (const std::string& name : names) {
    put.bind(1, name);
    const int rc = put.ok() ? put.step() : SQLITE_ERROR;
    put.reset();
    if (rc != SQLITE_DONE) {
      exec("ROLLBACK").ok();
      return error("storing album names");
    }
  }
  CLIPSEARCH_RETURN_IF_ERROR(exec("COMMIT"));
  return forget;
}

Status Annotations::add_click(const std::string& user, int64_t image_id, int64_t at_ns) {
  Statement exists(db_, "SELECT 1 FROM images WHERE id = ? AND status = 0");
  if (!exists.ok()) return error("recording a click");
  exists.bind(1, image_id);
  if (exists.step() != SQLITE_ROW) {
    return Status::not_found("image " + std::to_string(image_id) + ": not in the index");
  }
  Statement put(db_, "INSERT INTO clicks(user, image_id, at_ns) VALUES(?, ?, ?)");
  if (!put.ok()) return error("recording a click");
  put.bind(1, user);
  put.bind(2, image_id);
  put.bind(3, at_ns);
  if (put.step() != SQLITE_DONE) return error("recording a click");
  return Status();
}

Result<std::vector<int64_t>> Annotations::clicks_of(const std::string& user, int64_t limit) {
  Statement q(db_,
              "SELECT c.image_id FROM clicks c JOIN images i ON i.id = c.image_id "
              "WHERE c.user = ? AND i.status = 0 ORDER BY c.at_ns DESC, c.rowid DESC LIMIT ?");
  if (!q.ok()) return error("reading clicks");
  q.bind(1, user);
  q.bind(2, limit > 0 ? limit : int64_t{-1});
  std::vector<int64_t> newest_first;
  while (q.step() == SQLITE_ROW) newest_first.push_back(q.int64(0));
  return std::vector<int64_t>(newest_first.rbegin(), newest_first.rend());
}

Result<std::vector<ClickCount>> Annotations::most_clicked(int64_t limit) {
  Statement q(db_,
              "SELECT c.image_id, COUNT(*) AS n, MAX(c.at_ns) AS last FROM clicks c "
              "JOIN images i ON i.id = c.image_id WHERE i.status = 0 "
              "GROUP BY c.image_id ORDER BY n DESC, last DESC, c.image_id LIMIT ?");
  if (!q.ok()) return error("reading clicks");
  q.bind(1, limit);
  std::vector<ClickCount> out;
  while (q.step() == SQLITE_ROW) out.push_back({q.int64(0), q.int64(1)});
  return out;
}

Status Annotations::prune() {
  return exec(
      "BEGIN IMMEDIATE;"
      "DELETE FROM labels WHERE image_id NOT IN (SELECT id FROM images);"
      "DELETE FROM albums WHERE image_id NOT IN (SELECT id FROM images);"
      "DELETE FROM album_runs WHERE image_id NOT IN (SELECT id FROM images);"
      "DELETE FROM clicks WHERE image_id NOT IN (SELECT id FROM images);"
      "COMMIT;");
}

}  // namespace clipsearch
