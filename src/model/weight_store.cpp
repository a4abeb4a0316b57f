#include "model/weight_store.h"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "core/half.h"

namespace clipsearch {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

Result<std::vector<std::string>> shard_names(const std::string& index_path) {
  std::ifstream in(index_path);
  if (!in) return Status::io_error(index_path + ": cannot open");
  auto index = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (index.is_discarded() || !index.is_object()) {
    return Status::corruption(index_path + ": not a JSON object");
  }
  auto map = index.find("weight_map");
  if (map == index.end() || !map->is_object()) {
    return Status::corruption(index_path + ": no \"weight_map\" object");
  }
  std::set<std::string> shards;
  for (const auto& [tensor, shard] : map->items()) {
    if (!shard.is_string()) {
      return Status::corruption(index_path + ": weight_map entry for " + tensor +
                                " is not a file name");
    }
    std::string file = shard.get<std::string>();
    if (file.empty() || file.find('/') != std::string::npos || file == "..") {
      return Status::corruption(index_path + ": weight_map names '" + file +
                                "', expected a file name in the same folder");
    }
    shards.insert(file);
  }
  if (shards.empty()) return Status::corruption(index_path + ": weight_map is empty");
  return std::vector<std::string>(shards.begin(), shards.end());
}

}  // namespace

Result<std::unique_ptr<WeightStore>> WeightStore::open(const std::string& path) {
  auto store = std::make_unique<WeightStore>();
  store->path_ = path;
  std::vector<std::string> files;
  if (ends_with(path, ".index.json")) {
    CLIPSEARCH_ASSIGN_OR_RETURN(std::vector<std::string> shards, shard_names(path));
    auto folder = std::filesystem::path(path).parent_path();
    for (const auto& shard : shards) files.push_back((folder / shard).string());
  } else {
    files.push_back(path);
  }
  for (const auto& file : files) {
    const std::map<std::string, TensorView>* tensors = nullptr;
    if (ends_with(file, ".bin")) {
      CLIPSEARCH_ASSIGN_OR_RETURN(PytorchCheckpoint opened, PytorchCheckpoint::open(file));
      store->torch_files_.push_back(std::move(opened));
      tensors = &store->torch_files_.back().tensors();
    } else {
      CLIPSEARCH_ASSIGN_OR_RETURN(SafetensorsFile opened, SafetensorsFile::open(file));
      store->files_.push_back(std::move(opened));
      tensors = &store->files_.back().tensors();
    }
    for (const auto& [name, view] : *tensors) {
      if (!store->names_.emplace(name, file).second) {
        return Status::corruption(file + ": tensor " + name + " is also in " + store->names_[name]);
      }
    }
  }
  return store;
}

Result<WeightStore::Located> WeightStore::locate(const std::string& name) const {
  for (const auto& file : files_) {
    if (const TensorView* view = file.find(name))
      return Located{&file.path(), view, &file, nullptr};
  }
  for (const auto& file : torch_files_) {
    if (const TensorView* view = file.find(name))
      return Located{&file.path(), view, nullptr, &file};
  }
  return Status::not_found(path_ + ": tensor " + name + " is missing");
}

bool WeightStore::contains(const std::string& name) const { return locate(name).ok(); }

Result<std::vector<int64_t>> WeightStore::shape(const std::string& name) const {
  CLIPSEARCH_ASSIGN_OR_RETURN(Located found, locate(name));
  return found.view->shape;
}

Result<WeightStore::Located> WeightStore::locate(const std::string& name,
                                                 const std::vector<int64_t>& shape) const {
  CLIPSEARCH_ASSIGN_OR_RETURN(Located found, locate(name));
  if (found.view->shape != shape) {
    return Status::corruption(*found.path + ": tensor " + name + " has shape " +
                              shape_string(found.view->shape) + ", config says " +
                              shape_string(shape));
  }
  return found;
}

Result<const TensorView*> WeightStore::view(const std::string& name,
                                            const std::vector<int64_t>& shape) const {
  CLIPSEARCH_ASSIGN_OR_RETURN(Located found, locate(name, shape));
  return found.view;
}

const void* WeightStore::aligned_data(const TensorView& view) {
  if (reinterpret_cast<uintptr_t>(view.data) % dtype_size(view.dtype) == 0) return view.data;
  realigned_.emplace_back(view.data, view.data + view.nbytes);  // new[] aligns for any scalar
  return realigned_.back().data();
}

const std::string& WeightStore::file_of(const std::string& name) const {
  auto it = names_.find(name);
  return it == names_.end() ? path_ : it->second;
}

std::vector<std::string> WeightStore::names() const {
  std::vector<std::string> out;
  for (const auto& [name, file] : names_) out.push_back(name);
  return out;
}

std::map<std::string, std::string> WeightStore::metadata() const {
  std::map<std::string, std::string> out;
  for (const auto& file : files_) out.insert(file.metadata().begin(), file.metadata().end());
  return out;
}

Result<const float*> WeightStore::f32(const std::string& name, const std::vector<int64_t>& shape) {
  CLIPSEARCH_ASSIGN_OR_RETURN(Located found, locate(name, shape));
  if (auto copy = copy_by_name_.find(name); copy != copy_by_name_.end()) return copy->second;
  const TensorView& view = *found.view;
  const size_t count = view.nbytes / dtype_size(view.dtype);
  if (view.dtype == DType::kF32 && reinterpret_cast<uintptr_t>(view.data) % alignof(float) == 0) {
    const auto* data = reinterpret_cast<const float*>(view.data);
    in_place_.emplace(data, name);
    return data;
  }
  std::vector<float> out(count);
  switch (view.dtype) {
    case DType::kF32:
      std::memcpy(out.data(), view.data, view.nbytes);
      break;
    case DType::kF16:
    case DType::kBF16:
      for (size_t i = 0; i < count; ++i) {
        uint16_t h = static_cast<uint16_t>(view.data[2 * i] | (view.data[2 * i + 1] << 8));
        out[i] = view.dtype == DType::kF16 ? f16_to_f32(h) : bf16_to_f32(h);
      }
      break;
    default:
      return Status::unsupported(*found.path + ": tensor " + name + " has dtype " +
                                 dtype_name(view.dtype) + ", expected F32, F16 or BF16");
  }
  if (found.file != nullptr) found.file->release(view);
  if (found.torch != nullptr)
    found.torch->release(view);  // the float32 copy is what will be read from now on
  converted_bytes_ += out.size() * sizeof(float);
  converted_.push_back(std::move(out));
  const float* data = converted_.back().data();
  copies_.emplace(data, Copy{converted_.size() - 1, name});
  copy_by_name_.emplace(name, data);
  return data;
}

void WeightStore::release(const float* data) {
  if (auto copy = copies_.find(data); copy != copies_.end()) {
    std::vector<float>& buffer = converted_[copy->second.index];
    converted_bytes_ -= buffer.size() * sizeof(float);
    std::vector<float>().swap(buffer);
    copy_by_name_.erase(copy->second.name);
    copies_.erase(copy);
    return;
  }
  auto mapped = in_place_.find(data);
  if (mapped == in_place_.end()) return;
  if (Result<Located> found = locate(mapped->second); found.ok()) {
    if (found->file != nullptr) found->file->release(*found->view);
    if (found->torch != nullptr) found->torch->release(*found->view);
  }
  in_place_.erase(mapped);
}

}  // namespace clipsearch
