// clipsearch::Library: a photo library's catalog and what can be done with it: index folders
// (incrementally, crash-safe), search by text, picture or example (clipsearch/query.h), and the
// zero-shot features (similarity, classification, near-duplicates). What `clipsearch` the
// command and `clipsearch serve` do, for programs that link the library.
//
//   auto library = clipsearch::Library::open("photos.db", {.model = "/models/clip-vit-b-32"});
//   if (!library.ok()) { std::cerr << library.status().message() << "\n"; return 1; }
//   auto report = (*library)->index({"/home/me/Pictures"});
//   auto page = (*library)->search(clipsearch::Query().text("a dog on a beach"), 10);
//
// The catalog is one SQLite file (plus `<catalog>.vectors` and `<catalog>.hnsw` beside it,
// derived and rewritten when stale). Indexing reads only new and changed files; each batch is
// one transaction, so a killed process loses at most the batch in flight, and failures of single
// files (corrupt, truncated, too large) are recorded without stopping the run. One process
// indexes a catalog at a time (others get StatusCode::kBusy); any number may search it, and see
// each committed batch.
//
// Errors are returned (Status, Result<T>), never thrown; their codes say what kind they are.
// A Library may be used from several threads: calls are serialized where they must be (a search
// itself runs on every thread of the pool, see clipsearch/threads.h).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "clipsearch/export.h"
#include "clipsearch/hub.h"
#include "clipsearch/image.h"
#include "clipsearch/model.h"
#include "clipsearch/query.h"
#include "clipsearch/shared_cache.h"
#include "clipsearch/status.h"

namespace clipsearch {

enum class VectorIndex {
  kAuto,   // exact below about 100,000 images, an HNSW graph above
  kExact,  // every image compared with the query
  kHnsw,   // an approximate nearest-neighbour graph (rankings re-scored exactly)
};

enum class Tower { kText, kImage };

// Batching of concurrent queries, for a program that calls the Library from many threads at
// once (a server): the texts and pictures of queries that arrive together go through the model
// in one forward pass per tower instead of one each. A query waits at most max_wait for
// company; when max_queue queries of a tower already wait, a call fails at once with
// StatusCode::kUnavailable (a server answers 503) instead of letting latency grow. Texts the
// caches hold never wait.
struct QueryBatching {
  size_t max_batch = 16;  // queries per forward pass (1: no batching, but the queue's bound)
  std::chrono::microseconds max_wait{5000};
  size_t max_queue = 256;
  // Optional observers (metrics): the size of each forward pass's batch, and the queries
  // waiting after each change (called with a lock held: keep it short).
  std::function<void(Tower, size_t)> on_batch;
  std::function<void(Tower, size_t)> on_queue_depth;
};

struct LibraryOptions {
  // The model: a folder (Hugging Face or open_clip layout) or a name clipsearch knows
  // (`clipsearch models`). Empty: the model the catalog was indexed with. A catalog holds the
  // embeddings of one model; searching it with another is an error.
  std::string model;
  // model_options.precision must be the catalog's (LibraryStatus::Model::precision), as the
  // model must be; reindex() converts a catalog to another.
  ModelOptions model_options;
  DecodeOptions decode;  // how pictures are decoded (indexing and picture queries)
  VectorIndex index = VectorIndex::kAuto;
  bool write_index_files = true;  // rewrite stale `<catalog>.vectors` / `.hnsw` files
  // A model named (not a folder) is fetched into the Hugging Face cache (HF_HOME, HF_ENDPOINT,
  // HF_TOKEN, HF_HUB_OFFLINE; clipsearch/hub.h), reporting to this sink (null: silently).
  ProgressSink* download_progress = nullptr;
  // Unset: each call embeds its own texts and pictures on the calling thread.
  std::optional<QueryBatching> batching;
  // A second-level cache of text embeddings shared with other processes (Redis: `serve
  // --redis`); its keys must name the model. Entries are kept text_ttl.
  std::shared_ptr<SharedCache> shared_text_cache;
  std::chrono::seconds text_ttl{30 * 24 * 3600};
};

// An indexed image.
struct ImageInfo {
  int64_t id = 0;
  std::string path;
  int64_t bytes = 0;
  int width = 0, height = 0;
  std::string format;       // "jpeg", "png", ...; a video's container: "mp4", "mov", "mkv", ...
  int64_t taken_ns = 0;     // EXIF date taken (a video's creation_time; else mtime), wall clock, ns
  int64_t duration_ms = 0;  // a video's length; 0 for a photo
  // EXIF Make and Model as one name ("Canon EOS R5"); empty when the file has none, or when it
  // was indexed before clipsearch read cameras and not read since (`clipsearch reindex`).
  std::string camera;
};

struct ScoredImage {
  ImageInfo image;
  float score = 0;
  // A video found by one of its frames: that frame's time in seconds (the score is the
  // frame's); unset for photos and for scores of a whole video (albums, more like this).
  std::optional<double> time;
};

// What a search's scores are. kCosine: the cosine of the query's vector with each image (CLIP
// models; every query that mixes in pictures, examples, negatives or colour). kProbability: a
// text query on a model whose scores are sigmoid probabilities (SigLIP, ModelInfo::score_kind):
// the model's probability that the text describes the image, and Query::min_score is one too.
enum class ScoreKind { kCosine, kProbability };

struct SearchResults {
  std::vector<ScoredImage> hits;  // best first; equal scores by ascending id
  ScoreKind score_kind = ScoreKind::kCosine;
  int64_t candidates = 0;  // images compared with the query (those the filters let pass)
  float best_score = -std::numeric_limits<float>::infinity();  // before min_score
  // With a min_score: how many images score at or above it (all pages together). Known when the
  // search ranked them all: an exact search, or any search sorted by date; unset otherwise.
  std::optional<int64_t> above_min_score;
  int64_t generation = 0;  // the catalog's generation searched (see LibraryStatus)
};

struct IndexingProgress {
  int64_t done = 0;   // files prepared and written, of those that needed work
  int64_t total = 0;  // files that needed work (new or changed)
  int64_t failed = 0;
};

// IndexingOptions::batch_size 0: images per batch where the model's image tower runs.
inline constexpr int kDefaultCpuBatch = 32;
inline constexpr int kDefaultGpuBatch = 256;

struct IndexingOptions {
  std::vector<std::string> excludes;  // glob patterns for the folders given to index()
  // Images per forward pass and per transaction; 0: the model's device decides
  // (kDefaultCpuBatch on the CPU, kDefaultGpuBatch on a GPU, where bigger batches fill it).
  int batch_size = 0;
  int workers = 0;                            // threads that read and decode; 0: all cores
  int64_t max_file_bytes = int64_t{1} << 30;  // images only: videos are streamed
  // Frames embedded per video (one per second of video up to this many, at the middles of equal
  // spans); 0 leaves videos out of the catalog.
  int video_frames = 8;
  // Called on the indexing thread after each batch.
  std::function<void(const IndexingProgress&)> on_progress;
  // Embeddings computed elsewhere (another machine, an export of a catalog of the same model):
  // called for each file about to be embedded, with its absolute path and the model's embed_dim;
  // writing the file's normalized embedding (dim floats) into `out` and returning true stores it
  // instead of running the model. The file is still read, hashed and decoded for its facts and
  // colour. The caller vouches that the embeddings come from the catalog's model.
  std::function<bool(const std::string& path, int64_t dim, float* out)> precomputed;
  // Called once the catalog's lock is held (no other process indexes it from then on), before
  // the model is loaded and the folders are read: a caller that runs index() on a thread of its
  // own learns here that it started (or, from index()'s error, that it did not).
  std::function<void()> on_started;
  // What exact searches scan, recorded in the catalog (docs/SEARCH.md, "Compact vector store"):
  // "f32" (the rows as embedded), or "f16", an extra copy at half the bytes that is scanned
  // first, its best candidates then rescored over F32. Empty keeps the catalog's (f32 at first).
  std::string vector_store;
};

struct IndexingReport {
  int64_t files = 0;       // candidate files read under the folders
  int64_t unchanged = 0;   // same size and mtime: not opened
  int64_t embedded = 0;    // decoded and embedded
  int64_t imported = 0;    // of those, embedded by IndexingOptions::precomputed, not the model
  int64_t reused = 0;      // same content as a catalogued file: embedding copied
  int64_t moved = 0;       // renamed or moved: row kept
  int64_t touched = 0;     // mtime changed, content did not
  int64_t removed = 0;     // files gone from a folder that was read completely
  int64_t colored = 0;     // unchanged images given the colour signature they lacked
  int64_t failed = 0;      // files that could not be indexed (see failures)
  int64_t not_images = 0;  // files that are no image format clipsearch reads
  int64_t decoded = 0;
  int64_t videos = 0;  // of `embedded`, videos
  int64_t frames = 0;  // their frames embedded
  struct Failure {
    std::string path;
    std::string message;
  };
  std::vector<Failure> failures;
  struct SkippedFolder {
    std::string path;
    std::string reason;  // "missing", "unreadable", "empty"
    std::string message;
    int64_t kept = 0;  // catalog entries kept under it
  };
  std::vector<SkippedFolder> skipped_folders;
  // The catalog afterwards.
  int64_t images = 0, errors = 0, generation = 0;
  // Anything worth telling the user that is not a failure (an index file not written, ...).
  std::vector<std::string> warnings;
};

struct LibraryStatus {
  std::string catalog;
  struct Model {
    std::string name;
    std::string fingerprint;  // SHA-256 over what shapes an embedding
    int64_t embed_dim = 0;
    std::string pipeline;   // the decoding options that change pixels
    std::string precision;  // precision_name() of the precision the embeddings were made at
  };
  std::optional<Model> model;             // none before the first index()
  std::optional<std::string> catalog_id;  // random, made by the first index(); none before
  int64_t images = 0;                     // indexed images
  int64_t errors = 0;                     // files that failed
  int64_t generation = 0;                 // grows with every committed change
  std::vector<std::string> folders;
  std::vector<IndexingReport::Failure> failures;  // the first max_failures
  // Indexed items by kind: one entry per format ("jpeg", "dng", "mp4", ...), ascending; for a
  // video format, `frames` counts the frames embedded.
  struct Kind {
    std::string format;
    bool video = false;
    int64_t items = 0;
    int64_t frames = 0;
  };
  std::vector<Kind> kinds;
  // IndexingOptions::vector_store of the catalog; for "f16", the recall@10 against F32 exact
  // measured when the compact file was built (none until a search or index() built it).
  std::string vector_store = "f32";
  std::optional<double> vector_store_recall;
  // Size of the file an exact search scans (`<db>.vectors`, or `<db>.f16` for "f16"); none
  // until a search or index() wrote it.
  std::optional<int64_t> vector_store_bytes;
};

struct TextScore {
  std::string text;
  float cosine = 0;
  float probability = 0;  // softmax over the texts of exp(logit_scale) * cosine
};

struct ImageLabels {
  ImageInfo image;
  std::vector<TextScore> labels;  // best first
};

struct DuplicateGroup {
  std::vector<ImageInfo> images;  // ascending id
  float min_similarity = 1;       // the lowest cosine among the group's linked pairs
};

// Library::duplicates as long work (a server's background job): the threshold, and optional
// hooks called on the scanning thread between blocks of rows.
struct DuplicatesOptions {
  float min_similarity = 0.95f;  // cosine from which two images are near-duplicates
  // Blocks of row pairs scanned so far, of the total (n^2 / 2 pairs in 1024 x 1024 blocks).
  std::function<void(int64_t done, int64_t total)> on_progress;
  // Polled between blocks: true stops the scan, and duplicates() returns kUnavailable
  // "duplicates: cancelled".
  std::function<bool()> cancelled;
};

// Library::update_albums as long work (a server's background job): the exclusive flag, and
// optional hooks called on the working thread.
struct AlbumsOptions {
  bool exclusive = false;  // each image joins only its best album
  // Steps done of the total: one per theme embedded, then one per indexed image looked at
  // (reported every 256), so total = themes + images, known from the first call.
  std::function<void(int64_t done, int64_t total)> on_progress;
  // Polled after each theme and every 256 images: true stops the run, which returns
  // kUnavailable "albums: cancelled" and stores no classification.
  std::function<bool()> cancelled;
};

struct AlbumsUpdate {
  int64_t classified = 0;           // images put in albums by this update
  bool restarted = false;           // the themes (or the model) changed: every album made afresh
  std::vector<std::string> albums;  // the theme file's albums, in its order
};

// A page of the catalog's embeddings (Library::embeddings), for exporting them.
struct EmbeddingPage {
  int64_t dim = 0;
  std::vector<ImageInfo> images;  // ascending id
  std::vector<float> vectors;     // [images.size(), dim], each of unit length
  int64_t generation = 0;         // the catalog's generation they were read at
};

struct RecommendOptions {
  int64_t last_clicks = 10;       // the user's taste: the mean of the last N clicked images
  bool recency_weighted = false;  // or their mean weighted 0.5^(age / half_life)
  double half_life = 3.0;         // in clicks
};

// What a long-running Library has done so far (a server's /api/status and metrics).
struct LibraryUsage {
  std::string index;  // "exact" or "hnsw": how searches run; empty before the first
  int64_t text_cache_hits = 0, text_cache_misses = 0, text_cache_size = 0;
  int64_t texts_embedded = 0;     // texts that went through the text tower (in no cache)
  int64_t pictures_embedded = 0;  // query pictures that went through the image tower
  // Where the query model's towers run (ModelInfo::image_device, text_device, device_note);
  // empty before the first query loads it.
  std::string image_device, text_device, device_note;
};

// A folder of the library (a root folder or one below it) and the indexed images under it,
// those of its sub-folders included.
struct FolderSize {
  std::string path;
  int64_t images = 0;
};

struct CameraSize {
  std::string camera;
  int64_t images = 0;
};

struct AlbumSize {
  std::string name;
  int64_t images = 0;
};

struct Recommendations {
  std::vector<ScoredImage> images;  // scored by cosine with the taste, or by click count
  bool popular = false;             // the user has no clicks: the most clicked images instead
};

class CLIPSEARCH_EXPORT Library {
 public:
  // Opens the catalog at `catalog` (empty: $XDG_DATA_HOME/clipsearch/index.db, else
  // ~/.local/share/clipsearch/index.db); a missing one is created by the first index(). Nothing
  // is loaded until a call needs it: the model on the first text or picture, the vectors on the
  // first search.
  static Result<std::unique_ptr<Library>> open(const std::string& catalog,
                                               const LibraryOptions& options = {});
  // A Library of a model alone (options.model), no catalog: similarity() and classify() of
  // pictures work; everything that needs a catalog is kInvalidArgument.
  static Result<std::unique_ptr<Library>> open_model(const LibraryOptions& options);
  static std::string default_catalog_path();
  ~Library();
  Library(const Library&) = delete;
  Library& operator=(const Library&) = delete;

  const std::string& catalog_path() const;

  // Loads the model now (otherwise the first call that needs it does): a server calls it
  // before taking requests. Errors as for a search by text.
  Status load_model();

  // Brings the catalog up to date with `folders` (stored in the catalog for later runs) or,
  // when empty, with the folders stored. A new catalog needs options.model. Failures of single
  // files are in the report, not in the Status.
  Result<IndexingReport> index(const std::vector<std::string>& folders,
                               const IndexingOptions& options = {});
  // Embeds every image again with options.model (a new model, or new decoding options; empty:
  // the catalog's model, at options.model_options.precision: a change of precision) into
  // `output` (empty: replaces this catalog once the new one is complete).
  Result<IndexingReport> reindex(const std::string& output, const IndexingOptions& options = {});
  Result<LibraryStatus> status(size_t max_failures = 20);
  // Every folder that holds indexed images, and each of its parents up to the catalog's root
  // folder, ascending by path: what Query::folder() can narrow a search to.
  Result<std::vector<FolderSize>> folders();
  // The cameras of the indexed images (ImageInfo::camera), ascending by name, with their images:
  // what Query::camera() can narrow a search to.
  Result<std::vector<CameraSize>> cameras();

  // The page [offset, offset + k) of the ranking.
  Result<SearchResults> search(const Query& query, int64_t k = 10, int64_t offset = 0);
  // The catalog's generation, re-read: it grows with every committed change (an answer cached
  // under one generation is still right while it stays).
  Result<int64_t> generation();
  // An indexed image by id; kNotFound when there is none.
  Result<ImageInfo> image(int64_t id);
  // How well each text describes a picture (a file or bytes), or an indexed image.
  Result<std::vector<TextScore>> similarity(const QueryPicture& picture,
                                            const std::vector<std::string>& texts);
  Result<std::vector<TextScore>> similarity(int64_t image_id,
                                            const std::vector<std::string>& texts);
  // The labels that describe an indexed image best, best first: each label is put in every
  // template ("a photo of a {}.") and the prompts' embeddings averaged (prompt ensembling).
  Result<std::vector<TextScore>> classify(int64_t image_id, const std::vector<std::string>& labels,
                                          const std::vector<std::string>& templates = {});
  Result<std::vector<TextScore>> classify(const QueryPicture& picture,
                                          const std::vector<std::string>& labels,
                                          const std::vector<std::string>& templates = {});
  // The `top` best labels of every indexed image, in id order. `store`: kept in the catalog, so
  // that Query::tag() finds the images by label (replacing what was stored for them before).
  Result<std::vector<ImageLabels>> classify_all(const std::vector<std::string>& labels,
                                                const std::vector<std::string>& templates = {},
                                                size_t top = 5, bool store = false);
  // Groups of near-identical images (cosine >= min_similarity). Nothing is deleted. The n^2
  // scan reads the rows without holding the searcher's lock: searches from other threads are
  // answered meanwhile.
  Result<std::vector<DuplicateGroup>> duplicates(float min_similarity = 0.95f);
  Result<std::vector<DuplicateGroup>> duplicates(const DuplicatesOptions& options);

  // Automatic albums from a theme file (JSON: docs/SEARCH.md): images not yet placed are
  // classified against the themes and kept in the catalog. `exclusive`: each image joins only
  // its best album.
  Result<AlbumsUpdate> update_albums(const std::string& theme_file, bool exclusive = false);
  // The same, from the theme file's text (`name` stands for it in messages).
  Result<AlbumsUpdate> update_albums_from_text(const std::string& themes_json,
                                               const std::string& name, bool exclusive = false);
  Result<AlbumsUpdate> update_albums_from_text(const std::string& themes_json,
                                               const std::string& name,
                                               const AlbumsOptions& options);
  // The albums kept in the catalog, with their sizes.
  Result<std::vector<AlbumSize>> albums();
  // An album's images, best first (an album never made: kNotFound).
  Result<std::vector<ScoredImage>> album(const std::string& name);

  // Recommendations: a user's clicks (kept in the catalog) make a taste, searched like a query;
  // what the user clicked is left out.
  Status record_click(const std::string& user, int64_t image_id);
  Result<Recommendations> recommend(const std::string& user, int64_t k = 10,
                                    const RecommendOptions& options = {});

  // The embeddings of the indexed images with an id above after_id, at most `limit` of them, in
  // id order: page through a catalog by passing the last id of one page to the next call.
  Result<EmbeddingPage> embeddings(int64_t after_id = 0, int64_t limit = 100000);

  // What opening or refreshing the index files found worth telling ("vector file rebuilt: ...").
  std::vector<std::string> notes();
  LibraryUsage usage();

  struct CLIPSEARCH_NO_EXPORT Impl;  // opaque: the implementation's own

 private:
  explicit Library(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace clipsearch
