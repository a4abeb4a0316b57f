// The catalog: one SQLite database (docs/FORMATS.md, "Catalog") holding every indexed image's
// path, file facts, metadata, status and L2-normalized embedding, the library roots, and the
// identity of the model that made the embeddings.
//
// Paths are bytes (BLOB columns): nothing here assumes UTF-8. Folder filters compare BLOB ranges,
// so `%`, `_` and `\` in a path are ordinary bytes.
//
// Every change to images happens inside a write transaction (begin_write/commit) that also
// increments the `generation` counter, so a reader that sees generation G sees exactly the
// embeddings of G. Readers that need several queries to agree take a snapshot (read_snapshot).
//
// A Catalog object is one SQLite connection: use it from one thread at a time. Several processes
// may read while one writes (WAL mode); writers are kept to one by the indexer's lock file
// (catalog_lock), not by this class.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "clipsearch/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace clipsearch {

// Version 2 added images.color (colour signatures); version 3 videos (images.duration_ms and
// the frames table). An older file is migrated when opened for writing and read as it is
// (without colours, without videos) when opened read-only.
constexpr int kCatalogSchemaVersion = 4;

// What made the embeddings. `fingerprint` changes whenever the weights, the config or the
// preprocessing change; two catalogs agree on a model when their fingerprints are equal.
struct ModelIdentity {
  std::string name;         // as the user named it: --model NAME or the folder
  std::string fingerprint;  // hex digest, see indexer/model_identity.h
  int64_t embed_dim = 0;
  std::string pipeline;  // decoding options that change pixels ("decode=exact exif=apply")
  // The precision the model ran at (clipsearch/model.h's precision_name): the same model at
  // another precision gives other embeddings. Catalogs made before it was recorded are "f32".
  std::string precision = "f32";
};

enum class ImageStatus { kOk = 0, kError = 1 };

// One row of `images`. Times are nanoseconds since the Unix epoch.
struct ImageRecord {
  int64_t id = 0;
  std::string path;  // bytes, absolute
  int64_t root_id = 0;
  int64_t size = 0;
  int64_t mtime_ns = 0;
  std::string hash;  // SHA-256 of the file's bytes, 32 raw bytes
  int width = 0;     // as displayed (EXIF orientation applied when the pipeline applies it)
  int height = 0;
  std::string format;  // "jpeg", "png", ...
  // EXIF DateTimeOriginal read as UTC wall-clock time, else the mtime converted to the indexing
  // machine's local wall-clock time (both "naive" times, comparable with each other).
  int64_t date_taken_ns = 0;
  bool date_from_exif = false;
  ImageStatus status = ImageStatus::kOk;
  std::string error;  // why it failed, when status == kError
  int64_t indexed_at_ns = 0;
  // A video's length; 0 for a photo. A video's row is the item (its embedding the normalized
  // mean of its frames'); its frames are in the frames table.
  int64_t duration_ms = 0;
  // EXIF Make and Model as one name ("Canon EOS R5"); empty when the file has none, or when the
  // row was written before version 4 and its file not read since.
  std::string camera;
};

// The embedded frames of the videos: frame rows (ordered by image id, then time) mapped to
// their item.
struct FrameSnapshot {
  int64_t dim = 0;
  std::vector<int64_t> image_ids;  // [n]
  std::vector<int64_t> times_ms;   // [n]
  std::vector<float> vectors;      // [n, dim]
};

// Items of one format ("jpeg", "mp4", ...): status ok rows, and for videos their frames.
struct FormatCount {
  std::string format;
  int64_t items = 0;
  int64_t frames = 0;
};

// Ok rows sharing one value: a folder (the rows directly in it, not in its sub-folders; without
// a trailing '/') or a camera.
struct ValueCount {
  std::string value;
  int64_t items = 0;
};

// What the incremental indexer needs to know about a row to decide to skip it.
struct FileState {
  int64_t id = 0;
  std::string path;
  int64_t size = 0;
  int64_t mtime_ns = 0;
  ImageStatus status = ImageStatus::kOk;
  std::string hash;
  bool has_color = false;  // a colour signature was computed (maybe empty: nothing to sample)
};

struct CatalogRoot {
  int64_t id = 0;
  std::string path;                   // bytes, absolute
  std::vector<std::string> excludes;  // --exclude globs given with it
};

// Filters for the search side. Empty/unset fields do not filter.
struct ImageFilter {
  std::vector<std::string> folders;  // absolute folder paths: an image under any of them
  std::optional<int64_t> date_min_ns, date_max_ns;    // date_taken within [min, max]
  std::optional<int64_t> mtime_min_ns, mtime_max_ns;  // mtime (ns since the epoch) within them
  std::optional<int64_t> size_min, size_max;          // file size in bytes within [min, max]
  std::vector<std::string> formats;                   // "jpeg", "png", ... (any of them)
  std::vector<std::string> cameras;                   // ImageRecord::camera (any of them)
};

// Embeddings of every image with status ok, in id order, read in one snapshot together with the
// generation they belong to.
struct EmbeddingSnapshot {
  int64_t generation = 0;
  int64_t dim = 0;
  std::vector<int64_t> ids;    // [n], ascending
  std::vector<float> vectors;  // [n, dim]
};

struct CatalogStats {
  int64_t images = 0;  // rows with status ok
  int64_t errors = 0;  // rows with status error
  int64_t generation = 0;
};

class Catalog {
 public:
  enum class Mode { kReadOnly, kReadWrite };

  // kReadWrite creates the file (and its folder) and the schema when missing. A file that is
  // not a catalog, or a catalog of another schema version, is an error naming it.
  static Result<std::unique_ptr<Catalog>> open(const std::string& path, Mode mode);
  ~Catalog();
  Catalog(const Catalog&) = delete;
  Catalog& operator=(const Catalog&) = delete;

  const std::string& path() const { return path_; }

  // --- the model ---
  // The model stored in the catalog; nullopt for a catalog that has none yet. A model stored
  // through another connection after this one opened is seen (its dimension included).
  Result<std::optional<ModelIdentity>> model();
  // Stores the model of a catalog that has none; a catalog that has one must match it (same
  // fingerprint and precision), otherwise the error names both and says how to re-embed.
  Status bind_model(const ModelIdentity& model);
  // Checks without storing: for readers (search) that only need text embeddings to agree.
  Status check_model(const ModelIdentity& model);

  // --- reading ---
  // A random id (32 hex digits) given to the catalog when it was created, or when a catalog made
  // before ids existed is next opened for writing; nullopt until then. Caches shared between
  // processes (serve --redis) key search answers by it and the generation: two catalogs with
  // the same path or the same generation never share answers. A copied file keeps its id.
  Result<std::optional<std::string>> catalog_id();
  Result<int64_t> generation();
  Result<CatalogStats> stats();
  Result<std::vector<CatalogRoot>> roots();
  // Rows whose path lies under `folder` (or equals it, for a root that is a file), path order.
  Status for_each_file_under(const std::string& folder,
                             const std::function<void(const FileState&)>& fn);
  // The SHA-256 of every image with status ok and an embedding (for reuse on moves/copies).
  Result<std::vector<std::string>> embedded_hashes();
  // An ok row with this content hash, with its embedding; nullopt when none.
  Result<std::optional<std::pair<ImageRecord, std::vector<float>>>> find_by_hash(
      const std::string& hash);
  Result<std::optional<ImageRecord>> find_by_path(const std::string& path);
  // Rows by id, in the order given; ids that do not exist are left out.
  Result<std::vector<ImageRecord>> get_images(const std::vector<int64_t>& ids);
  Result<std::vector<float>> get_embedding(int64_t id);
  // Every ok image's embedding in id order with its generation (one read transaction).
  Result<EmbeddingSnapshot> read_snapshot();
  // Calls fn(id, embedding) for every ok image in id order (one prepared statement, no copy);
  // `embedding` is valid only during the call. Stops early when fn returns false.
  Status for_each_embedding(const std::function<bool(int64_t id, const float* embedding)>& fn);
  // Ids (ascending) of the ok images that pass every filter.
  Result<std::vector<int64_t>> filter_ids(const ImageFilter& filter);
  // Every row (for reindex and status); fn returns false to stop.
  Status for_each_image(const std::function<bool(const ImageRecord&)>& fn);
  // --- colour signatures: float32 arrays stored as they are given (image/color_signature.h
  // packs them); an empty array means "computed, no colour", a missing one "not computed yet".
  // False for a version-1 catalog opened read-only: every image then has no colour.
  bool has_colors() const { return has_colors_; }
  // The signature of one image; nullopt when none was computed (or no such image).
  Result<std::optional<std::vector<float>>> get_color(int64_t id);
  // Calls fn(id, floats, count) for every ok image with a non-empty signature, in id order.
  Status for_each_color(const std::function<void(int64_t id, const float* color, size_t n)>& fn);

  // --- video frames (empty for a catalog read-only at version 1 or 2) ---
  // Every frame of an ok video, image id then time order.
  Result<FrameSnapshot> read_frames();
  // The frames of one video, time order (none for a photo).
  Result<FrameSnapshot> get_frames(int64_t id);
  // Ok rows counted by format, with the frames of the videos (status by kind).
  Result<std::vector<FormatCount>> count_by_format();
  // Ok rows counted by the folder that holds them, ascending by path.
  Result<std::vector<ValueCount>> count_by_folder();
  // Ok rows counted by camera, ascending by name; rows without one are left out.
  Result<std::vector<ValueCount>> count_by_camera();

  // Failed rows: path and message.
  Result<std::vector<std::pair<std::string, std::string>>> failures(int64_t limit);

  // --- settings: small named values in the meta table that change no image row and not the
  // generation (vector_store, docs/FORMATS.md); nullopt when never set. set_setting() is its
  // own transaction.
  Result<std::optional<std::string>> setting(const std::string& key) { return get_meta(key); }
  Status set_setting(const std::string& key, const std::string& value) {
    return set_meta(key, value);
  }

  // --- writing: only between begin_write() and commit() ---
  Status begin_write();  // BEGIN IMMEDIATE
  // Increments the generation when anything changed, then commits.
  Status commit();
  void rollback();
  Result<int64_t> add_root(const std::string& path, const std::vector<std::string>& excludes);
  // Inserts or replaces the row with this path; `embedding` (embed_dim floats, or null for a
  // failed file) is stored as little-endian float32, `color` likewise (null: not computed).
  // Returns the row id.
  Result<int64_t> put_image(const ImageRecord& record, const float* embedding,
                            const std::vector<float>* color = nullptr);
  // Replaces the frames of a video row: times_ms[i] with embeddings[i * embed_dim ...].
  Status put_frames(int64_t id, const std::vector<int64_t>& times_ms, const float* embeddings);
  // Gives row `to` the frames of row `from` (a copy of the same video).
  Status copy_frames(int64_t from, int64_t to);
  // Stores the colour signature of an existing row (filled in for older rows).
  Status set_color(int64_t id, const std::vector<float>& color);
  // A file moved: the row keeps its id and embedding, and takes the new path and file facts.
  Status move_image(int64_t id, const ImageRecord& facts);
  Status remove_image(int64_t id);

  // Folds the WAL into the main file and leaves WAL mode, so the file stands alone and can be
  // renamed or replaced; fails while another connection has the catalog open. (reindex)
  Status detach_wal();

 private:
  Catalog(std::string path, sqlite3* db);
  Status exec(const char* sql);
  Status setup(Mode mode);
  Status migrate();
  // Whether the database has no tables at all (never written by a catalog).
  bool schema_is_empty();
  Result<sqlite3_stmt*> prepare(const char* sql);
  Status error(const char* what) const;
  Result<std::optional<std::string>> get_meta(const std::string& key);
  Status set_meta(const std::string& key, const std::string& value);
  Status delete_frames(int64_t id);

  std::string path_;
  sqlite3* db_ = nullptr;
  bool in_write_ = false;
  bool changed_ = false;
  int64_t embed_dim_ = 0;
  bool has_colors_ = false;
  bool has_frames_ = false;  // version 3: duration_ms and the frames table
  bool has_camera_ = false;  // version 4: the camera column
  // Of a call site's image_selects() (catalog_internal.h), the one for this catalog's version.
  const char* image_select(const std::array<std::string, 3>& selects) const;
  // (value, count) rows of a GROUP BY query.
  Result<std::vector<ValueCount>> count_by(const char* sql, const char* what);
  struct Statements;
  std::unique_ptr<Statements> st_;
};

// The default catalog: $XDG_DATA_HOME/clipsearch/index.db, else ~/.local/share/clipsearch/...
std::string catalog_default_path();

// An exclusive advisory lock (flock) on `<catalog>.lock`, held while an indexer writes. The
// kernel drops it when the process ends, however it ends. A second holder gets an error saying
// another clipsearch is indexing this catalog.
class CatalogLock {
 public:
  static Result<CatalogLock> acquire(const std::string& catalog_path);
  CatalogLock(CatalogLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  CatalogLock& operator=(CatalogLock&&) = delete;
  CatalogLock(const CatalogLock&) = delete;
  ~CatalogLock();

 private:
  explicit CatalogLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace clipsearch
