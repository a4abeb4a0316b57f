// TIFF: libvips decodes most files; the modes where its pixels are not Pillow's, or where it
// refuses what Pillow reads, go elsewhere (tiff_tags.h decides, tiff_gray.h and tiff_lab.h
// decode). Pillow applies a TIFF's orientation tag when it loads the file, whatever the caller
// asks (TiffImageFile.load_end), so the orientation is applied here in both EXIF modes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "clipsearch/image.h"
#include "image/decode.h"

namespace clipsearch {

Result<RgbImage> tiff_decode(const uint8_t* data, size_t size, const std::string& name,
                             const DecodeOptions& options);

// Size and orientation for the catalog, also for the files libvips cannot open.
Status tiff_read_header(const uint8_t* data, size_t size, const std::string& name,
                        ImageHeader* header);

}  // namespace clipsearch
