// Reading and writing NumPy .npy files (format versions 1.0-3.0), float32 little-endian, C order.
// Used for pixel tensors handed to `embed` and written by `preprocess`, and by the tests.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "clipsearch/status.h"

namespace clipsearch {

struct NpyArray {
  std::vector<int64_t> shape;
  std::vector<float> data;  // row-major, product(shape) values
};

// Parses an in-memory .npy file; `name` is used in error messages.
Result<NpyArray> npy_parse(const uint8_t* bytes, size_t size, const std::string& name);
Result<NpyArray> npy_read(const std::string& path);
Status npy_write(const std::string& path, const std::vector<int64_t>& shape, const float* data);

}  // namespace clipsearch
