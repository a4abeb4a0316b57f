// Command-line options of the image pipeline, shared by `preprocess` and `embed --image`:
// --exif, --decode, --sixteen-bit, --alpha, --background, --raw-mode, --max-pixels,
// --decode-timeout. (Camera RAW is --raw-mode: `embed --raw` is unnormalized output.)
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "clipsearch/image.h"

namespace clipsearch::cli {

struct ImageCliOptions {
  std::string exif = "apply";
  std::string decode = "exact";
  std::string sixteen_bit = "scale";
  std::string alpha = "drop";
  std::string background = "255,255,255";
  std::string raw = "preview";
  int64_t max_pixels = kDefaultMaxPixels;
  double timeout_seconds = 10.0;
};

void add_image_options(CLI::App* cmd, ImageCliOptions* options);

// The DecodeOptions the flags describe (flag values are validated by CLI11 already, except
// --background, which is checked here).
Result<DecodeOptions> image_decode_options(const ImageCliOptions& options);

}  // namespace clipsearch::cli
