// The first IFD of a TIFF, read for the fields Pillow 9.4's TiffImagePlugin decides by, and the
// decision itself: which TIFFs libvips decodes as Pillow does, which need the project's own
// handling (tiff_gray.cpp, tiff_lab.cpp) and which Pillow refuses. Every read is
// bounds-checked; nothing here decodes pixels.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "clipsearch/status.h"

namespace clipsearch {

struct TiffTags {
  bool little_endian = true;
  uint32_t width = 0;
  uint32_t height = 0;
  int photometric = -1;  // -1: the tag is missing
  int compression = 1;
  int fill_order = 1;
  int samples_per_pixel = -1;  // -1: missing
  int orientation = 1;         // the tag's first value; 1 when missing
  std::vector<uint32_t> bits;  // BitsPerSample, as stored
  std::vector<uint32_t> sample_format;
  std::vector<uint32_t> extra_samples;
};

// False where the header or first IFD cannot be read (libvips then gives the error).
bool tiff_read_tags(const uint8_t* data, size_t size, TiffTags* tags);

// One-sample TIFFs as Pillow reads them: how the samples are stored and what Pillow's mode
// makes of them.
enum class TiffGrayKind {
  kBilevel,  // 1 bit: Pillow "1"
  kGray,     // 2, 4, 8 bits: Pillow "L", scaled to 0-255
  kUint,     // 12, 16 bits unsigned: Pillow "I;16"
  kInt,      // 16, 32 bits signed, or 32 bits unsigned read as signed: Pillow "I"
  kFloat     // 32-bit IEEE float: Pillow "F"
};
struct TiffGrayMode {
  TiffGrayKind kind = TiffGrayKind::kGray;
  int bits = 8;
  bool invert = false;  // Pillow's ";I" raw modes (min-is-white 1 to 8 bits)
};

// Where a TIFF goes.
enum class TiffRoute {
  kVips,  // libvips' pixels are Pillow's
  kGray,  // a one-sample mode libvips refuses or reads otherwise: tiff_gray.cpp
  kLab    // 8-bit CIELAB: libvips' LabQ bytes through Pillow's Lab -> sRGB (tiff_lab.cpp)
};
struct TiffPlan {
  TiffRoute route = TiffRoute::kVips;
  TiffGrayMode gray;  // kGray
};

// ref: TiffImagePlugin._setup() and OPEN_INFO: fails, naming the file, where Pillow refuses a
// file of the kinds routed here ("unknown pixel mode", "unknown data organization").
Result<TiffPlan> tiff_plan(const TiffTags& tags, const std::string& name);

}  // namespace clipsearch
