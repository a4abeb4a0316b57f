// Reading `pytorch_model.bin`: PyTorch's zip checkpoint format (torch.save since 1.6) holding a
// state dict, through mmap, without executing its pickle.
//
// Layout: a zip archive (stored entries) with `<archive>/data.pkl` (the pickled state dict, read
// by the restricted unpickler in torch_pickle.h), `<archive>/data/<key>` (the raw little-endian
// bytes of each storage), `<archive>/version` and, in newer files, `<archive>/byteorder`. See
// docs/FORMATS.md.
//
// Each tensor is a view (offset, shape, strides) into a storage, possibly shared with other
// tensors. Contiguous views point into the map; others (transposes, slices with gaps) are
// copied into row-major buffers the checkpoint owns. Offsets and strides are checked against
// the storage's size before anything is read. The legacy format (PyTorch 1.0-1.5: pickles back
// to back, then the storages) is read too; the tar format of PyTorch < 0.4 is refused. Views are
// valid while the checkpoint lives; const methods are thread-safe.
#pragma once

#include <deque>
#include <map>
#include <string>
#include <vector>

#include "clipsearch/status.h"
#include "core/mapped_file.h"
#include "model/safetensors.h"

namespace clipsearch {

class PytorchCheckpoint {
 public:
  static Result<PytorchCheckpoint> open(const std::string& path);

  // Parses a whole checkpoint held in memory (views point into `bytes` or into `*owned`, which
  // receives the row-major copies of non-contiguous tensors). `name` is used in messages.
  static Result<std::map<std::string, TensorView>> parse(const uint8_t* bytes, size_t size,
                                                         const std::string& name,
                                                         std::deque<std::vector<uint8_t>>* owned);

  const std::string& path() const { return file_.path(); }
  const TensorView* find(const std::string& tensor) const;
  const std::map<std::string, TensorView>& tensors() const { return tensors_; }
  void release(const TensorView& view) const { file_.release(view.data, view.nbytes); }

 private:
  MappedFile file_;
  std::deque<std::vector<uint8_t>> owned_;
  std::map<std::string, TensorView> tensors_;
};

}  // namespace clipsearch
