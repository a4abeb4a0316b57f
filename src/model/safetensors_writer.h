// Writing safetensors files, the layout safetensors.h reads (docs/FORMATS.md): what
// `clipsearch quantize` produces.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "clipsearch/status.h"
#include "model/safetensors.h"

namespace clipsearch {

struct TensorToWrite {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;
  const void* data = nullptr;  // little-endian, shape's element count * dtype_size bytes
  size_t nbytes = 0;
};

// Writes `tensors` and the "__metadata__" strings to `path` through AtomicFile (a crash or a full
// disk leaves no partial file under the name). The data section holds the tensors without holes,
// ordered by decreasing element size, then name, as the safetensors library orders them, so that
// every tensor starts aligned to its element size: the header is padded with spaces to a
// multiple of 8 bytes.
Status write_safetensors(const std::string& path, std::vector<TensorToWrite> tensors,
                         const std::map<std::string, std::string>& metadata);

}  // namespace clipsearch
