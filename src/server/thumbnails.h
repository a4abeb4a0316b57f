// Thumbnails for the result grid: JPEG (quality 80) fitting in a size x size box, at a few
// allowed sizes, cached on disk.
//
// Made through the image module's decoder (src/image/decode.cpp), never by handing untrusted
// files to libvips directly: formats allow-listed by magic bytes, the pixel limit checked on the
// header, the decode time limit, EXIF orientation applied, and JPEG/WebP shrink-on-load
// (DecodeMode::kFast) so a 24-megapixel photo decodes at 1/8 of its size. The resize is the
// project's own antialiased bilinear; libvips only encodes the JPEG from memory
// (image/vips_encode.h).
//
// Cache layout: <cache_dir>/<id % 256, two hex digits>/<id>-<size>-<mtime ns>-<file size>.jpg.
// The key changes when the source file changes, so a stale thumbnail is never served; making
// the new one removes the old versions of that image and size. Writes are atomic (temp file, fsync,
// rename, fsync of the folder): a crash never leaves a half-written thumbnail under a final name.
// Two requests for the same missing thumbnail may both make it; the second rename wins, harmlessly.
// Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "clipsearch/image.h"
#include "clipsearch/status.h"

namespace clipsearch::server {

struct ThumbnailOptions {
  std::vector<int> sizes = {128, 256, 512, 1024};  // allowed box sizes, pixels (1024: the viewer)
  int quality = 80;                                // JPEG quality
  DecodeOptions decode;                            // limits for the source images
};

// A JPEG of `source_path` fitting in size x size (never enlarged), oriented by its EXIF tag.
Result<std::string> thumbnail_jpeg(const std::string& source_path, int size,
                                   const ThumbnailOptions& options);

class ThumbnailCache {
 public:
  ThumbnailCache(std::string cache_dir, ThumbnailOptions options = {});

  bool size_allowed(int size) const;
  // "128, 256, 512, 1024", for error messages.
  std::string allowed_sizes_text() const;

  // The path of the cached thumbnail of image `id` (whose file is `source_path`) at `size`,
  // made first if missing. An unknown size, a missing source or an undecodable image is an
  // error naming it.
  Result<std::string> get(int64_t id, const std::string& source_path, int size);

  uint64_t hits() const { return hits_.load(); }
  uint64_t made() const { return made_.load(); }
  const std::string& cache_dir() const { return cache_dir_; }

 private:
  static void remove_stale_versions(const std::filesystem::path& dir, const std::string& prefix,
                                    const std::string& keep);

  const std::string cache_dir_;
  const ThumbnailOptions options_;
  std::atomic<uint64_t> hits_{0};
  std::atomic<uint64_t> made_{0};
};

// Writes `bytes` to `path` atomically: a temp file in the same folder, fsync, rename, fsync of
// the folder.
Status write_file_atomic(const std::string& path, const std::string& bytes);

}  // namespace clipsearch::server
