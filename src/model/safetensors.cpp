#include "model/safetensors.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace clipsearch {
namespace {

using nlohmann::json;

// Largest header accepted: the published checkpoints' headers are well under 1 MB.
constexpr uint64_t kMaxHeaderBytes = 100u << 20;
// JSON nesting deeper than this is refused before parsing (the parser is recursive).
constexpr int kMaxJsonDepth = 16;

struct DTypeInfo {
  const char* name;
  DType dtype;
  size_t size;
};

constexpr DTypeInfo kDTypes[] = {
    {"BOOL", DType::kBool, 1},      {"U8", DType::kU8, 1},          {"I8", DType::kI8, 1},
    {"F8_E4M3", DType::kF8E4M3, 1}, {"F8_E5M2", DType::kF8E5M2, 1}, {"I16", DType::kI16, 2},
    {"U16", DType::kU16, 2},        {"F16", DType::kF16, 2},        {"BF16", DType::kBF16, 2},
    {"I32", DType::kI32, 4},        {"U32", DType::kU32, 4},        {"F32", DType::kF32, 4},
    {"F64", DType::kF64, 8},        {"I64", DType::kI64, 8},        {"U64", DType::kU64, 8},
};

bool json_depth_ok(const char* text, size_t size) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < size; ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > kMaxJsonDepth) return false;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return true;
}

Status parse_entry(const std::string& file, const std::string& tensor, const json& entry,
                   uint64_t data_size, TensorView* view, uint64_t* begin_out) {
  auto fail = [&](const std::string& what) {
    return Status::corruption(file + ": tensor " + tensor + ": " + what);
  };
  if (!entry.is_object()) return fail("header entry is not an object");
  auto dtype_it = entry.find("dtype");
  if (dtype_it == entry.end() || !dtype_it->is_string()) return fail("no dtype");
  const std::string dtype = dtype_it->get<std::string>();
  const DTypeInfo* info = nullptr;
  for (const auto& d : kDTypes) {
    if (dtype == d.name) info = &d;
  }
  if (info == nullptr) return fail("unknown dtype '" + dtype + "'");
  view->dtype = info->dtype;

  auto shape_it = entry.find("shape");
  if (shape_it == entry.end() || !shape_it->is_array()) return fail("no shape");
  uint64_t elements = 1;
  for (const json& dim : *shape_it) {
    if (!dim.is_number_unsigned()) return fail("shape has a non-integer or negative dimension");
    uint64_t d = dim.get<uint64_t>();
    if (d > (uint64_t{1} << 40) || (d != 0 && elements > (uint64_t{1} << 40) / d)) {
      return fail("shape " + shape_it->dump() + " is too large");
    }
    elements *= d;
    view->shape.push_back(static_cast<int64_t>(d));
  }

  auto offsets_it = entry.find("data_offsets");
  if (offsets_it == entry.end() || !offsets_it->is_array() || offsets_it->size() != 2 ||
      !(*offsets_it)[0].is_number_unsigned() || !(*offsets_it)[1].is_number_unsigned()) {
    return fail("data_offsets is not a pair of non-negative integers");
  }
  uint64_t begin = (*offsets_it)[0].get<uint64_t>();
  uint64_t end = (*offsets_it)[1].get<uint64_t>();
  if (begin > end || end > data_size) {
    return fail("data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
                "] lie outside the data section of " + std::to_string(data_size) +
                " bytes (truncated file?)");
  }
  if (end - begin != elements * info->size) {
    return fail("shape " + shape_string(view->shape) + " of " + dtype + " needs " +
                std::to_string(elements * info->size) + " bytes, data_offsets span " +
                std::to_string(end - begin));
  }
  view->nbytes = end - begin;
  *begin_out = begin;
  return Status();
}

// The header's free-form "__metadata__": the format allows only string values.
Status parse_metadata(const std::string& file, const json& entry,
                      std::map<std::string, std::string>* out) {
  if (!entry.is_object()) {
    return Status::corruption(file + ": safetensors __metadata__ is not an object of strings");
  }
  for (const auto& [key, value] : entry.items()) {
    if (!value.is_string()) {
      return Status::corruption(file + ": safetensors __metadata__ \"" + key +
                                "\" is not a string");
    }
    if (out != nullptr) (*out)[key] = value.get<std::string>();
  }
  return Status();
}

}  // namespace

const char* dtype_name(DType dtype) {
  for (const auto& d : kDTypes) {
    if (d.dtype == dtype) return d.name;
  }
  return "?";
}

size_t dtype_size(DType dtype) {
  for (const auto& d : kDTypes) {
    if (d.dtype == dtype) return d.size;
  }
  return 0;
}

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

Result<std::map<std::string, TensorView>> SafetensorsFile::parse(
    const uint8_t* bytes, size_t size, const std::string& name,
    std::map<std::string, std::string>* metadata) {
  if (size < 8) {
    return Status::corruption(name + ": not a safetensors file (" + std::to_string(size) +
                              " bytes, shorter than the 8-byte header length)");
  }
  uint64_t header_size = 0;
  for (int i = 7; i >= 0; --i) header_size = (header_size << 8) | bytes[i];
  if (header_size > kMaxHeaderBytes || header_size > size - 8) {
    return Status::corruption(name + ": safetensors header length " + std::to_string(header_size) +
                              " exceeds the file (" + std::to_string(size) +
                              " bytes): truncated or not a safetensors file");
  }
  const char* text = reinterpret_cast<const char*>(bytes + 8);
  if (!json_depth_ok(text, header_size)) {
    return Status::corruption(name + ": safetensors header nests too deeply");
  }
  json header = json::parse(text, text + header_size, nullptr, /*allow_exceptions=*/false);
  if (header.is_discarded() || !header.is_object()) {
    return Status::corruption(name + ": safetensors header is not a JSON object");
  }
  const uint64_t data_size = size - 8 - header_size;
  const uint8_t* data = bytes + 8 + header_size;
  std::map<std::string, TensorView> tensors;
  std::vector<std::pair<uint64_t, std::string>> spans;  // (begin, name), to check for overlaps
  for (const auto& [tensor, entry] : header.items()) {
    if (tensor == "__metadata__") {
      CLIPSEARCH_RETURN_IF_ERROR(parse_metadata(name, entry, metadata));
      continue;
    }
    TensorView view;
    uint64_t begin = 0;
    CLIPSEARCH_RETURN_IF_ERROR(parse_entry(name, tensor, entry, data_size, &view, &begin));
    view.data = data + begin;
    if (view.nbytes > 0) spans.emplace_back(begin, tensor);
    tensors.emplace(tensor, std::move(view));
  }
  std::sort(spans.begin(), spans.end());
  for (size_t i = 1; i < spans.size(); ++i) {
    const auto& prev = tensors.at(spans[i - 1].second);
    if (spans[i - 1].first + prev.nbytes > spans[i].first) {
      return Status::corruption(name + ": tensors " + spans[i - 1].second + " and " +
                                spans[i].second + " overlap in the data section");
    }
  }
  return tensors;
}

Result<SafetensorsFile> SafetensorsFile::open(const std::string& path) {
  SafetensorsFile file;
  CLIPSEARCH_ASSIGN_OR_RETURN(file.file_, MappedFile::open(path));
  CLIPSEARCH_ASSIGN_OR_RETURN(file.tensors_,
                              parse(file.file_.data(), file.file_.size(), path, &file.metadata_));
  return file;
}

const TensorView* SafetensorsFile::find(const std::string& tensor) const {
  auto it = tensors_.find(tensor);
  return it == tensors_.end() ? nullptr : &it->second;
}

}  // namespace clipsearch
