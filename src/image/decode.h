// Image formats the decoder accepts, recognised by their first bytes (never by file name).
#pragma once

#include <cstddef>
#include <cstdint>

namespace clipsearch {

enum class ImageFormat { kUnknown, kJpeg, kPng, kGif, kWebp, kTiff, kBmp, kHeif };

ImageFormat image_sniff_format(const uint8_t* data, size_t size);
const char* image_format_name(ImageFormat format);

}  // namespace clipsearch
