// Incremental indexing: brings a catalog up to date with the files under its roots.
//
// For each root the crawler lists the files (stat only). A file whose size and mtime_ns equal
// its catalog row is skipped without being opened. The others go to worker threads that read
// each file once into memory, sniff it, hash it (SHA-256) and, unless the hash says the
// embedding is already known, decode and preprocess it from that same buffer. The calling
// thread embeds the prepared images in batches (the model uses the process-wide pool) while the
// workers prepare the next ones, and writes each batch in one transaction: a kill loses at most
// the batch in flight. Files seen missing under a root that was read completely are removed
// last; a moved or copied file (same content hash) takes the known embedding instead of being
// decoded again (a move keeps its row id). The same decode that feeds the model gives each image
// its colour signature (image/color_signature.h), on the worker threads; copies and moves keep
// theirs, and images indexed before signatures existed get one without being embedded again.
//
// A video (image/video_decode.h) is hashed by streaming reads, a few frames of it are decoded
// and embedded in the same batches as images, and it is written as one row (the mean of its
// frames' embeddings, normalized) with its frames beside it (Catalog::put_frames).
//
// Failures of single files (unreadable, corrupt, truncated, too large) are stored with status
// error and listed in the stats; they never stop the run. Roots that are missing, unreadable or
// empty are reported and their catalog entries kept.
//
// The caller holds the catalog's lock (CatalogLock) and has bound the model (Catalog::
// bind_model). Not reentrant: one index_library at a time per catalog.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "clipsearch/image.h"
#include "clipsearch/model.h"
#include "clipsearch/status.h"
#include "index/catalog.h"
#include "indexer/crawler.h"

namespace clipsearch {

struct IndexProgress {
  int64_t done = 0;   // files prepared and written (of those that needed work)
  int64_t total = 0;  // files that needed work: new or changed
  int64_t failed = 0;
};

struct IndexOptions {
  // Roots to scan (path + exclude globs); empty means every root stored in the catalog. Given
  // roots are stored in the catalog (with their excludes) for later runs.
  std::vector<CatalogRoot> roots;
  int batch_size = 32;
  int workers = 0;  // threads that read, hash and decode; 0 = num_threads()
  DecodeOptions decode;
  int64_t max_file_bytes = int64_t{1} << 30;  // larger images fail as "too large"
  // Frames embedded per video (image/video_decode.h: video_frame_times); 0 leaves videos out.
  // Videos are streamed, never read whole, so max_file_bytes does not apply to them.
  int video_frames = 8;
  std::function<void(const IndexProgress&)> on_progress;  // called on the calling thread
  // Embeddings computed elsewhere, by absolute path (clipsearch/library.h: IndexingOptions).
  std::function<bool(const std::string& path, int64_t dim, float* out)> precomputed;
};

struct IndexFailure {
  std::string path;
  std::string message;
};

struct SkippedRoot {
  std::string root;
  RootState state = RootState::kOk;
  std::string message;
  int64_t kept = 0;  // catalog entries kept under it
};

struct IndexStats {
  int64_t files = 0;       // candidate files under the roots that were read
  int64_t unchanged = 0;   // skipped: same size and mtime (never opened)
  int64_t embedded = 0;    // decoded and embedded
  int64_t imported = 0;    // of those, embedded by IndexOptions::precomputed
  int64_t reused = 0;      // same content as a catalogued file: its embedding copied
  int64_t moved = 0;       // a missing file found under a new name: row moved, id kept
  int64_t touched = 0;     // mtime changed, content did not: facts updated only
  int64_t removed = 0;     // rows of files gone from a readable root
  int64_t colored = 0;     // unchanged images given the colour signature they lacked
  int64_t failed = 0;      // files stored with status error in this run
  int64_t not_images = 0;  // files whose first bytes are no allow-listed image format
  int64_t decoded = 0;     // images decoded (0 on a re-run over an unchanged library)
  int64_t videos = 0;      // of `embedded`, videos
  int64_t frames = 0;      // their frames embedded
  int64_t bytes_read = 0;
  int64_t batches = 0;  // transactions committed
  std::vector<IndexFailure> failures;
  std::vector<SkippedRoot> skipped_roots;
};

Result<IndexStats> index_library(Catalog& catalog, Model& model, const PreprocessConfig& config,
                                 const IndexOptions& options);

// "YYYY:MM:DD HH:MM:SS" (EXIF) as nanoseconds since the epoch of that wall-clock time read as
// UTC; false when the text is not such a date.
bool exif_date_to_ns(const std::string& text, int64_t* ns);
// An mtime as the local wall-clock time of the indexing machine, expressed like exif_date_to_ns.
int64_t mtime_to_local_ns(int64_t mtime_ns);

}  // namespace clipsearch
