// Image formats the decoder accepts, recognised by their first bytes (never by file name).
#pragma once

#include <cstddef>
#include <cstdint>

namespace clipsearch {

enum class ImageFormat { kUnknown, kJpeg, kPng, kGif, kWebp, kTiff, kBmp, kHeif };

ImageFormat image_sniff_format(const uint8_t* data, size_t size);

// Start-of-scan markers in a JPEG (marker segments, such as an EXIF thumbnail in APP1, are
// skipped by their length). Progressive files have about 10; thousands of scans make libjpeg
// redo its work for each and cannot be interrupted once a decode call starts.
int image_jpeg_scan_count(const uint8_t* data, size_t size);
constexpr int kMaxJpegScans = 256;
const char* image_format_name(ImageFormat format);

}  // namespace clipsearch
