// Decoded samples (1-5 bands, 8 or 16 bits, as libvips hands them over) to 8-bit RGB, following
// Pillow's convert("RGB"): gray replicated, alpha dropped (or composited on request), CMYK with
// Pillow's naive formula (no ICC), 16-bit colour reduced to its high byte as Pillow's ";16B"
// raw modes do, 16-bit gray scaled (default) or clipped (Pillow's "I" -> "RGB").
#pragma once

#include <cstddef>
#include <cstdint>

#include "clipsearch/image.h"

namespace clipsearch {

enum class SampleLayout { kGray, kGrayAlpha, kRgb, kRgba, kCmyk, kCmykAlpha };

struct DecodedSamples {
  int width = 0;
  int height = 0;
  SampleLayout layout = SampleLayout::kRgb;
  bool sixteen_bit = false;    // samples are native-endian uint16
  const void* data = nullptr;  // [height, width, bands]
};

// One row of n CMYK pixels to RGB with Pillow's cmyk2rgb(); `inverted`: the samples are
// Adobe's inverted inks (Pillow's "CMYK;I" raw mode, which it assumes for every CMYK JPEG).
void image_cmyk_row_to_rgb(const uint8_t* cmyk, size_t n, bool inverted, uint8_t* rgb);

RgbImage image_samples_to_rgb(const DecodedSamples& in, const DecodeOptions& options);

}  // namespace clipsearch
