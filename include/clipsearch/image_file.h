// One image file as `clipsearch index` reads it, for indexers outside this process (the Ray
// pipeline in python/clipsearch/distributed reads files through any pyarrow filesystem and hands
// their bytes here): the facts the catalog stores (format, size as displayed, camera, date
// taken), the colour signature and the model's input, computed by the same code as the
// indexer's worker threads, with the same failure messages.
//
// Everything is returned by value; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "clipsearch/export.h"
#include "clipsearch/image.h"

namespace clipsearch {

// What the catalog records of an image besides its embedding.
struct ImageFileFacts {
  std::string format;  // lower case: "jpeg", "png", ... or a RAW's kind ("dng")
  int width = 0;       // as displayed: EXIF orientation applied when DecodeOptions::exif says so
  int height = 0;
  std::string camera;  // EXIF Make and Model as one name, "" when absent
  // EXIF DateTimeOriginal, else the file's mtime as the local wall-clock time; both as
  // nanoseconds since the epoch of that wall-clock time read as UTC (what the catalog stores).
  int64_t taken_ns = 0;
  bool taken_from_exif = false;
};

enum class ImageFileOutcome {
  kImage,     // facts, colour and pixels are set
  kNotImage,  // the first bytes are no allow-listed image format (videos too): skipped, no error
  kFailed,    // `error` is the message `clipsearch index` records for the file
};

struct PreparedImageFile {
  ImageFileOutcome outcome = ImageFileOutcome::kFailed;
  std::string error;
  ImageFileFacts facts;
  std::vector<float> color;  // packed colour signature (kColorSignatureFloats values)
  ImageTensor pixels;        // [3, H, W]: the image tower's input
};

// `data` holds the whole file found at `path` (used in messages), whose mtime is `mtime_ns`.
// Files larger than `max_file_bytes` fail as the indexer's do.
CLIPSEARCH_EXPORT PreparedImageFile image_file_prepare(const uint8_t* data, size_t size,
                                                       const std::string& path, int64_t mtime_ns,
                                                       const PreprocessConfig& config,
                                                       const DecodeOptions& options,
                                                       int64_t max_file_bytes = int64_t{1} << 30);

}  // namespace clipsearch
