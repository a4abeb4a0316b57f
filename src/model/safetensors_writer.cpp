#include "model/safetensors_writer.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/atomic_file.h"

namespace clipsearch {

Status write_safetensors(const std::string& path, std::vector<TensorToWrite> tensors,
                         const std::map<std::string, std::string>& metadata) {
  std::sort(tensors.begin(), tensors.end(), [](const TensorToWrite& a, const TensorToWrite& b) {
    const size_t sa = dtype_size(a.dtype), sb = dtype_size(b.dtype);
    return sa != sb ? sa > sb : a.name < b.name;
  });
  nlohmann::json header = nlohmann::json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (const TensorToWrite& t : tensors) {
    uint64_t elements = 1;
    for (int64_t d : t.shape) elements *= static_cast<uint64_t>(d);
    if (elements * dtype_size(t.dtype) != t.nbytes) {
      return Status::invalid_argument(path + ": tensor " + t.name + " of shape " +
                                      shape_string(t.shape) + " given " + std::to_string(t.nbytes) +
                                      " bytes");
    }
    header[t.name] = {{"dtype", dtype_name(t.dtype)},
                      {"shape", t.shape},
                      {"data_offsets", {offset, offset + t.nbytes}}};
    offset += t.nbytes;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  uint8_t length[8];
  for (int i = 0; i < 8; ++i) length[i] = static_cast<uint8_t>(uint64_t{text.size()} >> (8 * i));

  CLIPSEARCH_ASSIGN_OR_RETURN(AtomicFile file, AtomicFile::create(path));
  CLIPSEARCH_RETURN_IF_ERROR(file.append(length, sizeof length));
  CLIPSEARCH_RETURN_IF_ERROR(file.append(text.data(), text.size()));
  for (const TensorToWrite& t : tensors) {
    CLIPSEARCH_RETURN_IF_ERROR(file.append(t.data, t.nbytes));
  }
  return file.commit();
}

}  // namespace clipsearch
