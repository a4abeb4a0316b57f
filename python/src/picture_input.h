// Pictures handed over from Python: a file path, encoded bytes (JPEG, PNG, ...), or 8-bit pixels
// (a numpy uint8 array, H x W x 3 or 4, or H x W gray; the package turns PIL images into one).
// They are read into PictureInput with the GIL held, then decoded and preprocessed without it,
// in parallel, exactly as the command-line tool does.
#pragma once

#include <nanobind/nanobind.h>

#include <cstdint>
#include <string>
#include <vector>

#include "clipsearch/image.h"
#include "clipsearch/status.h"

namespace clipsearch::python {

struct PictureInput {
  enum class Kind { kPath, kBytes, kPixels } kind = Kind::kPath;
  std::string path_or_bytes;
  RgbImage pixels;
  std::string name;  // for messages: the path, or "image 3"
};

// Raises TypeError for anything that is not a str, bytes or uint8 array (GIL held).
PictureInput picture_from_python(nanobind::handle item, size_t index);
std::vector<PictureInput> pictures_from_python(nanobind::handle items);

// Decode + preprocess, as for an image being indexed.
Result<ImageTensor> picture_preprocess(const PictureInput& picture, const PreprocessConfig& config,
                                       const DecodeOptions& options);

// Preprocesses pictures[begin, end) on every thread into out ([end - begin, 3, H, W]); the first
// failure in order is returned.
Status pictures_preprocess(const std::vector<PictureInput>& pictures, size_t begin, size_t end,
                           const PreprocessConfig& config, const DecodeOptions& options,
                           float* out);

}  // namespace clipsearch::python
