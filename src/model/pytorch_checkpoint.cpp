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
      if (!prefix.empty())
        return Status::corruption(name + ": more than one data.pkl in the archive");
      prefix = entry.substr(0, slash + 1);
    }
  }
  if (prefix.empty()) return Status::corruption(name + ": zip archive without <archive>/data.pkl");
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

// ref: torch/serialization.py _legacy_load: the legacy format is five things back to back: the
// magic number 0x1950a86a20f9469cfc6c pickled (below, byte for byte), the protocol version 1001
// pickled, a dict of system information, the state dict (persistent ids with a sixth field,
// view_metadata), the list of storage keys pickled; then for each key in that order, an 8-byte
// little-endian element count and the storage's bytes.
constexpr uint8_t kLegacyMagic[] = {0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46,
                                    0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, '.'};
constexpr uint8_t kLegacyProtocol[] = {0x80, 0x02, 'M', 0xe9, 0x03, '.'};

struct Parsed {
  std::vector<PickledTensor> tensors;
  std::map<std::string, ZipEntry> storages;  // storage key -> its bytes
};

Result<Parsed> parse_zip(const uint8_t* bytes, size_t size, const std::string& name) {
  CLIPSEARCH_ASSIGN_OR_RETURN(auto entries, zip_read_entries(bytes, size, name));
  CLIPSEARCH_ASSIGN_OR_RETURN(std::string prefix, archive_prefix(entries, name));
  auto byteorder = entries.find(prefix + "byteorder");
  if (byteorder != entries.end() &&
      std::string(reinterpret_cast<const char*>(byteorder->second.data), byteorder->second.size) !=
          "little") {
    return Status::unsupported(name + ": storages are not little-endian");
  }
  const ZipEntry& pickle = entries.at(prefix + "data.pkl");
  Parsed parsed;
  CLIPSEARCH_ASSIGN_OR_RETURN(parsed.tensors,
                              unpickle_state_dict(pickle.data, pickle.size, name + ": data.pkl"));
  const std::string data = prefix + "data/";
  for (const auto& [entry, bytes_of] : entries) {
    if (entry.compare(0, data.size(), data) == 0)
      parsed.storages[entry.substr(data.size())] = bytes_of;
  }
  return parsed;
}

Result<Parsed> parse_legacy(const uint8_t* bytes, size_t size, const std::string& name) {
  size_t pos = sizeof kLegacyMagic;
  if (size < pos + sizeof kLegacyProtocol ||
      std::memcmp(bytes + pos, kLegacyProtocol, sizeof kLegacyProtocol) != 0) {
    // Cut short is damage; a different protocol number is a format this reader does not know.
    const StatusCode code =
        size < pos + sizeof kLegacyProtocol ? StatusCode::kCorruption : StatusCode::kUnsupported;
    return Status::error(code, name + ": legacy checkpoint with an unknown protocol version");
  }
  pos += sizeof kLegacyProtocol;
  size_t used = 0;
  CLIPSEARCH_ASSIGN_OR_RETURN(bool little,
                              unpickle_legacy_little_endian(bytes + pos, size - pos, name, &used));
  if (!little) return Status::unsupported(name + ": storages are not little-endian");
  pos += used;
  Parsed parsed;
  CLIPSEARCH_ASSIGN_OR_RETURN(parsed.tensors,
                              unpickle_state_dict(bytes + pos, size - pos, name, &used));
  pos += used;
  CLIPSEARCH_ASSIGN_OR_RETURN(std::vector<std::string> keys,
                              unpickle_string_list(bytes + pos, size - pos, name, &used));
  pos += used;
  std::map<std::string, size_t> element_size;
  for (const auto& t : parsed.tensors) element_size[t.storage_key] = dtype_size(t.dtype);
  for (const auto& key : keys) {
    auto elem = element_size.find(key);
    if (elem == element_size.end()) {
      return Status::corruption(name + ": storage " + key + " is not used by any tensor");
    }
    if (size - pos < 8) return Status::corruption(name + ": truncated before storage " + key);
    uint64_t count = 0;
    for (int i = 0; i < 8; ++i) count |= static_cast<uint64_t>(bytes[pos + i]) << (8 * i);
    pos += 8;
    if (count > static_cast<uint64_t>(kMaxElements) || count * elem->second > size - pos) {
      return Status::corruption(name + ": storage " + key + " (" + std::to_string(count) +
                                " elements) runs past the end of the file");
    }
    if (!parsed.storages.emplace(key, ZipEntry{bytes + pos, count * elem->second}).second) {
      return Status::corruption(name + ": storage " + key + " appears twice");
    }
    pos += count * elem->second;
  }
  return parsed;
}

}  // namespace

Result<std::map<std::string, TensorView>> PytorchCheckpoint::parse(
    const uint8_t* bytes, size_t size, const std::string& name,
    std::deque<std::vector<uint8_t>>* owned) {
  Parsed parsed;
  if (size >= sizeof kLegacyMagic && std::memcmp(bytes, kLegacyMagic, sizeof kLegacyMagic) == 0) {
    CLIPSEARCH_ASSIGN_OR_RETURN(parsed, parse_legacy(bytes, size, name));
  } else if (size >= 262 && std::memcmp(bytes + 257, "ustar", 5) == 0) {
    return Status::unsupported(name +
                               ": a tar-format checkpoint (PyTorch < 0.4) is not read; re-save it "
                               "with torch.save, or use model.safetensors");
  } else if (size >= 4 && std::memcmp(bytes, "PK\x03\x04", 4) == 0) {
    CLIPSEARCH_ASSIGN_OR_RETURN(parsed, parse_zip(bytes, size, name));
  } else {
    return Status::corruption(name +
                              ": not a PyTorch checkpoint (neither a zip archive nor the legacy "
                              "format)");
  }
  const std::vector<PickledTensor>& tensors = parsed.tensors;
  std::map<std::string, TensorView> views;
  for (const PickledTensor& t : tensors) {
    const std::string where = name + ": tensor " + t.name;
    auto storage = parsed.storages.find(t.storage_key);
    if (storage == parsed.storages.end()) {
      return Status::corruption(where + ": storage " + t.storage_key + " is not in the file");
    }
    const size_t elem = dtype_size(t.dtype);
    if (t.storage_numel > kMaxElements ||
        static_cast<uint64_t>(t.storage_numel) * elem != storage->second.size) {
      return Status::corruption(where + ": storage " + t.storage_key + " holds " +
                                std::to_string(storage->second.size) + " bytes, the pickle says " +
                                std::to_string(t.storage_numel) + " elements of " +
                                std::to_string(elem) + " bytes");
    }
    if (t.storage_offset > kMaxElements) {
      return Status::corruption(where + ": storage offset " + std::to_string(t.storage_offset) +
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
        return Status::corruption(where + ": shape " + shape_string(t.shape) + " is too large");
      }
      if (t.stride[d] != 0 && extent - 1 > (kMaxElements - last) / t.stride[d]) {
        return Status::corruption(where + ": strides reach past any storage");
      }
      count *= extent;
      last += (extent - 1) * t.stride[d];
      if (extent != 1 && t.stride[d] != expected_stride) contiguous = false;
      expected_stride *= extent;
    }
    if (count > 0 && last >= t.storage_numel) {
      return Status::corruption(
          where + ": view (offset " + std::to_string(t.storage_offset) + ", shape " +
          shape_string(t.shape) + ", strides " + shape_string(t.stride) + ") reaches element " +
          std::to_string(last) + " of a storage of " + std::to_string(t.storage_numel));
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
      return Status::corruption(where + " appears twice in the state dict");
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
