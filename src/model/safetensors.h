// Reading safetensors files (https://huggingface.co/docs/safetensors) through mmap.
//
// Layout: an 8-byte little-endian header length N, N bytes of JSON mapping each tensor name to
// {"dtype", "shape", "data_offsets": [begin, end]} (offsets relative to the end of the header),
// then the raw little-endian data. See docs/FORMATS.md.
//
// The header is validated before any tensor is handed out: offsets inside the file, no two
// tensors overlapping, a known dtype, and a byte span equal to the shape's element count times
// the dtype's size. A SafetensorsFile owns its mapping; TensorView pointers are valid while it
// lives. Const methods are thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "clipsearch/status.h"
#include "core/mapped_file.h"

namespace clipsearch {

enum class DType {
  kBool,
  kU8,
  kI8,
  kF8E4M3,
  kF8E5M2,
  kI16,
  kU16,
  kF16,
  kBF16,
  kI32,
  kU32,
  kF32,
  kF64,
  kI64,
  kU64
};

const char* dtype_name(DType dtype);
size_t dtype_size(DType dtype);

struct TensorView {
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;
  const uint8_t* data = nullptr;  // into the mapped file
  size_t nbytes = 0;
};

std::string shape_string(const std::vector<int64_t>& shape);  // "[768, 3, 32, 32]"

class SafetensorsFile {
 public:
  static Result<SafetensorsFile> open(const std::string& path);

  // Parses and validates a whole safetensors file held in memory. `name` is used in messages.
  // Views point into `bytes`. The header's "__metadata__" (an object of strings, else an error)
  // goes to `metadata` when given.
  static Result<std::map<std::string, TensorView>> parse(
      const uint8_t* bytes, size_t size, const std::string& name,
      std::map<std::string, std::string>* metadata = nullptr);

  const std::string& path() const { return file_.path(); }
  const TensorView* find(const std::string& tensor) const;
  const std::map<std::string, TensorView>& tensors() const { return tensors_; }
  // The header's "__metadata__" strings (empty when it has none).
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  // Drops the tensor's pages from resident memory (after a converted copy was made).
  void release(const TensorView& view) const { file_.release(view.data, view.nbytes); }

 private:
  MappedFile file_;
  std::map<std::string, TensorView> tensors_;
  std::map<std::string, std::string> metadata_;
};

}  // namespace clipsearch
