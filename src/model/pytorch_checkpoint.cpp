#include "model/pytorch_checkpoint.h"

#include <cstring>

#include "core/zip_reader.h"
#include "model/torch_pickle.h"

namespace clipsearch {
namespace {

constexpr int64_t kMaxElements = int64_t{1} << 40;

// The archive's folder: the part before "/data.pkl" of the one entry named so.
Result<std::string> archive_prefix(const std::map<std::string, ZipEntry>& entries,
                                   const std::string& name) {
  std::string prefix;
  for (const auto& [entry, unused] : entries) {
    const size_t slash = entry.find('/');
    if (slash != std::string::npos && entry.compare(slash, std::string::npos, "/data.pkl") == 0) {
      if (!prefix.empty()) return Status::error(name + ": more than one data.pkl in the archive");
      prefix = entry.substr(0, slash + 1);
    }
  }
  if (prefix.empty()) return Status::error(name + ": zip archive without <archive>/data.pkl");
  return prefix;
}

// Copies the strided view `t` of `storage` into row-major order.
void materialize(const uint8_t* storage, const PickledTensor& t, size_t elem, uint8_t* out) {
  const size_t dims = t.shape.size();
  std::vector<int64_t> index(dims, 0);
  int64_t count = 1;
  for (int64_t d : t.shape) count *= d;
  int64_t src = t.storage_offset;
  for (int64_t k = 0; k < count; ++k) {
    std::memcpy(out + k * elem, storage + src * elem, elem);
    for (size_t d = dims; d-- > 0;) {  // odometer increment, keeping `src` in step
      if (++index[d] < t.shape[d]) {
        src += t.stride[d];
        break;
      }
      src -= t.stride[d] * (t.shape[d] - 1);
      index[d] = 0;
    }
  }
}

}  // namespace

Result<std::map<std::string, TensorView>> PytorchCheckpoint::parse(
    const uint8_t* bytes, size_t size, const std::string& name,
    std::deque<std::vector<uint8_t>>* owned) {
  // ref: torch/serialization.py _is_zipfile / _legacy_load: the legacy format is a bare pickle
  // (protocol 2, starting 0x80 0x02) or a tar archive.
  if (size >= 2 && bytes[0] == 0x80 && bytes[1] == 0x02) {
    return Status::error(name +
                         ": a legacy (PyTorch < 1.6) checkpoint; only the zip format is "
                         "read (re-save it with torch.save, or use model.safetensors)");
  }
  if (size < 4 || std::memcmp(bytes, "PK\x03\x04", 4) != 0) {
    return Status::error(name + ": not a PyTorch zip checkpoint (no zip signature)");
  }
  CLIPSEARCH_ASSIGN_OR_RETURN(auto entries, zip_read_entries(bytes, size, name));
  CLIPSEARCH_ASSIGN_OR_RETURN(std::string prefix, archive_prefix(entries, name));
  auto byteorder = entries.find(prefix + "byteorder");
  if (byteorder != entries.end() &&
      std::string(reinterpret_cast<const char*>(byteorder->second.data), byteorder->second.size) !=
          "little") {
    return Status::error(name + ": storages are not little-endian");
  }
  const ZipEntry& pickle = entries.at(prefix + "data.pkl");
  CLIPSEARCH_ASSIGN_OR_RETURN(std::vector<PickledTensor> tensors,
                              unpickle_state_dict(pickle.data, pickle.size, name + ": data.pkl"));
  std::map<std::string, TensorView> views;
  for (const PickledTensor& t : tensors) {
    const std::string where = name + ": tensor " + t.name;
    auto storage = entries.find(prefix + "data/" + t.storage_key);
    if (storage == entries.end()) {
      return Status::error(where + ": storage " + t.storage_key + " is not in the archive");
    }
    const size_t elem = dtype_size(t.dtype);
    if (t.storage_numel > kMaxElements ||
        static_cast<uint64_t>(t.storage_numel) * elem != storage->second.size) {
      return Status::error(where + ": storage " + t.storage_key + " holds " +
                           std::to_string(storage->second.size) + " bytes, the pickle says " +
                           std::to_string(t.storage_numel) + " elements of " +
                           std::to_string(elem) + " bytes");
    }
    if (t.storage_offset > kMaxElements) {
      return Status::error(where + ": storage offset " + std::to_string(t.storage_offset) +
                           " is too large");
    }
    // Element count, the farthest element the view touches, and whether it is row-major.
    int64_t count = 1;
    int64_t last = t.storage_offset;
    int64_t expected_stride = 1;
    bool contiguous = true;
    for (size_t d = t.shape.size(); d-- > 0;) {
      const int64_t extent = t.shape[d];
      if (extent == 0) {
        count = 0;
        break;
      }
      if (count > kMaxElements / extent || t.stride[d] > kMaxElements) {
        return Status::error(where + ": shape " + shape_string(t.shape) + " is too large");
      }
      if (t.stride[d] != 0 && extent - 1 > (kMaxElements - last) / t.stride[d]) {
        return Status::error(where + ": strides reach past any storage");
      }
      count *= extent;
      last += (extent - 1) * t.stride[d];
      if (extent != 1 && t.stride[d] != expected_stride) contiguous = false;
      expected_stride *= extent;
    }
    if (count > 0 && last >= t.storage_numel) {
      return Status::error(where + ": view (offset " + std::to_string(t.storage_offset) +
                           ", shape " + shape_string(t.shape) + ", strides " +
                           shape_string(t.stride) + ") reaches element " + std::to_string(last) +
                           " of a storage of " + std::to_string(t.storage_numel));
    }
    TensorView view;
    view.dtype = t.dtype;
    view.shape = t.shape;
    view.nbytes = static_cast<size_t>(count) * elem;
    if (count == 0) {
      view.data = storage->second.data;
    } else if (contiguous) {
      view.data = storage->second.data + static_cast<size_t>(t.storage_offset) * elem;
    } else {
      owned->emplace_back(view.nbytes);
      materialize(storage->second.data, t, elem, owned->back().data());
      view.data = owned->back().data();
    }
    if (!views.emplace(t.name, std::move(view)).second) {
      return Status::error(where + " appears twice in the state dict");
    }
  }
  return views;
}

Result<PytorchCheckpoint> PytorchCheckpoint::open(const std::string& path) {
  PytorchCheckpoint checkpoint;
  CLIPSEARCH_ASSIGN_OR_RETURN(checkpoint.file_, MappedFile::open(path));
  CLIPSEARCH_ASSIGN_OR_RETURN(
      checkpoint.tensors_,
      parse(checkpoint.file_.data(), checkpoint.file_.size(), path, &checkpoint.owned_));
  return checkpoint;
}

const TensorView* PytorchCheckpoint::find(const std::string& tensor) const {
  auto it = tensors_.find(tensor);
  return it == tensors_.end() ? nullptr : &it->second;
}

}  // namespace clipsearch
