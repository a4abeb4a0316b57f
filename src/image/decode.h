// Image formats the decoder accepts, recognised by their first bytes (never by file name).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "clipsearch/image.h"
#include "clipsearch/status.h"

namespace clipsearch {

// kHeif: HEIF with HEVC pictures (HEIC, as phones write it); kAvif: HEIF with AV1 pictures;
// kRaw: camera RAW (LibRaw; the TIFF-based kinds sniff as kTiff and are told apart later).
enum class ImageFormat { kUnknown, kJpeg, kPng, kGif, kWebp, kTiff, kBmp, kHeif, kAvif, kRaw };

ImageFormat image_sniff_format(const uint8_t* data, size_t size);

// Start-of-scan markers in a JPEG (marker segments, such as an EXIF thumbnail in APP1, are
// skipped by their length). Progressive files have about 10; thousands of scans make libjpeg
// redo its work for each and cannot be interrupted once a decode call starts.
int image_jpeg_scan_count(const uint8_t* data, size_t size);
constexpr int kMaxJpegScans = 256;
const char* image_format_name(ImageFormat format);

// What the header says, without decoding pixels (for the catalog).
struct ImageHeader {
  ImageFormat format = ImageFormat::kUnknown;
  // What the catalog records: image_format_name(format), or for a RAW its kind ("DNG", "NEF").
  std::string format_name;
  int width = 0;  // as stored, before EXIF orientation
  int height = 0;
  int orientation = 1;        // EXIF orientation, 1 when absent
  std::string date_original;  // EXIF DateTimeOriginal "YYYY:MM:DD HH:MM:SS", empty when absent
  std::string camera;         // EXIF Make and Model as one name (camera_name), empty when absent
};
// A camera's name from EXIF Make and Model, trimmed: the model alone when it already names the
// maker ("Canon" + "Canon EOS R5" -> "Canon EOS R5"; "NIKON CORPORATION" + "NIKON D750" ->
// "NIKON D750"), else both ("Apple" + "iPhone 12" -> "Apple iPhone 12"); "" when neither is set.
std::string camera_name(const std::string& make, const std::string& model);
// Fails (naming `name`) for data that is not an allow-listed image or whose header is corrupt.
Result<ImageHeader> image_read_header(const uint8_t* data, size_t size, const std::string& name);

// The checks every decoder shares, with the same messages for every format.
// Pixel limit on the header's size, before any pixel is decoded.
Status image_check_pixel_limit(int64_t width, int64_t height, const std::string& name,
                               const DecodeOptions& options);
Status image_timeout_error(const std::string& name, const DecodeOptions& options);
// DecodeMode::kFast: the shrink-on-load factor (1, 2, 4 or 8) for a width x height image, the
// largest that keeps the short side at least 2 * options.fast_min_side.
int image_fast_shrink(int64_t width, int64_t height, const DecodeOptions& options);

}  // namespace clipsearch
