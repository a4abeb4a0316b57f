// WeightStore: the tensors of one checkpoint, from one safetensors file, a PyTorch
// `pytorch_model.bin`, or the shards that a `*.index.json` lists, looked up by name and handed
// out as float32.
//
// F32 tensors are used in place, straight from the map (no copy) when aligned. F16 and BF16
// tensors are converted once into buffers the store owns. Every lookup checks the shape the
// config implies and names the file, the tensor and both shapes when they differ. Pointers stay
// valid while the store lives. Not thread-safe while loading; const use is.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "clipsearch/status.h"
#include "model/pytorch_checkpoint.h"
#include "model/safetensors.h"

namespace clipsearch {

class WeightStore {
 public:
  // Opens `path`: a .safetensors file, a PyTorch zip checkpoint (.bin), or an .index.json listing
  // shards of either kind (in the same folder) in its "weight_map".
  static Result<std::unique_ptr<WeightStore>> open(const std::string& path);

  bool contains(const std::string& name) const;
  // The tensor as float32 with exactly `shape`, or an error naming file, tensor and shapes.
  Result<const float*> f32(const std::string& name, const std::vector<int64_t>& shape);
  // The tensor's shape, or an error if it is missing.
  Result<std::vector<int64_t>> shape(const std::string& name) const;
  // The tensor as stored, whatever its dtype, with exactly `shape` (else an error as f32's).
  Result<const TensorView*> view(const std::string& name, const std::vector<int64_t>& shape) const;
  // The tensor's bytes at an address aligned to its element size: in place when the file has
  // them so (safetensors writers order tensors so that they are), else a copy the store keeps.
  const void* aligned_data(const TensorView& view);
  // The file that holds the tensor `name` (path() if none does): what messages about it name.
  const std::string& file_of(const std::string& name) const;
  // Every tensor's name, sorted.
  std::vector<std::string> names() const;
  // The safetensors files' "__metadata__" strings, merged (none for PyTorch checkpoints).
  std::map<std::string, std::string> metadata() const;
  // What a lookup error should name: the index or the single file.
  const std::string& path() const { return path_; }
  // Bytes of float32 copies made for F16/BF16/unaligned tensors (and not released).
  size_t converted_bytes() const { return converted_bytes_; }
  // The tensor f32() returned at `data` will not be read again (the model converted it to a
  // reduced precision): a float32 copy is freed, mapped pages leave this process's resident
  // memory. `data` must not be read afterwards; unknown pointers are ignored.
  void release(const float* data);

 private:
  struct Located {
    const std::string* path;  // the file holding the tensor
    const TensorView* view;
    const SafetensorsFile* file;     // one of these two is set
    const PytorchCheckpoint* torch;  // (release() after conversion)
  };
  Result<Located> locate(const std::string& name) const;
  // locate(), then the shape check every lookup makes.
  Result<Located> locate(const std::string& name, const std::vector<int64_t>& shape) const;

  std::string path_;
  std::vector<SafetensorsFile> files_;
  std::vector<PytorchCheckpoint> torch_files_;
  std::map<std::string, std::string> names_;  // tensor -> file, to refuse duplicates
  std::deque<std::vector<float>> converted_;
  std::deque<std::vector<uint8_t>> realigned_;
  size_t converted_bytes_ = 0;
  // What f32() handed out, by pointer: the tensor's name (mapped in place) or its copy (the
  // index in converted_), for release(); and the live copies by name, so that a tensor asked for
  // twice is converted once.
  struct Copy {
    size_t index;
    std::string name;
  };
  std::map<const float*, std::string> in_place_;
  std::map<const float*, Copy> copies_;
  std::map<std::string, const float*> copy_by_name_;
};

}  // namespace clipsearch
