#include "core/npy.h"

#include <cstring>
#include <fstream>
#include <sstream>

#include "core/mapped_file.h"

namespace clipsearch {
namespace {

// The text after `'key':` in the header dict, with leading spaces skipped; "" if absent.
std::string value_after(const std::string& header, const std::string& key) {
  size_t pos = header.find("'" + key + "'");
  if (pos == std::string::npos) return "";
  pos = header.find(':', pos);
  if (pos == std::string::npos) return "";
  pos = header.find_first_not_of(" \t", pos + 1);
  return pos == std::string::npos ? "" : header.substr(pos);
}

// The header is a Python dict literal: {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
Status parse_header(const std::string& header, const std::string& name,
                    std::vector<int64_t>* shape) {
  std::string descr = value_after(header, "descr");
  if (descr.size() < 2 || descr[0] != '\'' || descr.find('\'', 1) == std::string::npos) {
    return Status::corruption(name + ": .npy header has no 'descr'");
  }
  descr = descr.substr(1, descr.find('\'', 1) - 1);
  if (descr != "<f4") {
    return Status::unsupported(name + ": .npy dtype is '" + descr + "', expected float32 ('<f4')");
  }
  const std::string order = value_after(header, "fortran_order");
  if (order.rfind("False", 0) != 0) {
    if (order.rfind("True", 0) == 0) {
      return Status::unsupported(name + ": .npy array is in Fortran order, expected C order");
    }
    return Status::corruption(name + ": .npy header has no 'fortran_order'");
  }
  const std::string dims_text = value_after(header, "shape");
  const size_t close = dims_text.find(')');
  if (dims_text.empty() || dims_text[0] != '(' || close == std::string::npos) {
    return Status::corruption(name + ": .npy header has no 'shape'");
  }
  std::stringstream dims(dims_text.substr(1, close - 1));
  std::string item;
  shape->clear();
  while (std::getline(dims, item, ',')) {
    size_t first = item.find_first_not_of(" \t");
    if (first == std::string::npos) continue;
    char* end = nullptr;
    long long v = std::strtoll(item.c_str() + first, &end, 10);
    if (end == item.c_str() + first || v < 0 || v > (1LL << 40)) {
      return Status::corruption(name + ": .npy shape has an invalid dimension '" + item + "'");
    }
    shape->push_back(v);
  }
  return Status();
}

}  // namespace

Result<NpyArray> npy_parse(const uint8_t* bytes, size_t size, const std::string& name) {
  static const char kMagic[] = "\x93NUMPY";
  if (size < 10 || std::memcmp(bytes, kMagic, 6) != 0) {
    return Status::corruption(name + ": not a .npy file (bad magic)");
  }
  uint8_t major = bytes[6];
  size_t header_len = 0;
  size_t header_start = 0;
  if (major == 1) {
    header_len = bytes[8] | (bytes[9] << 8);
    header_start = 10;
  } else if (major == 2 || major == 3) {
    if (size < 12) return Status::corruption(name + ": truncated .npy header");
    header_len = static_cast<size_t>(bytes[8]) | (bytes[9] << 8) | (bytes[10] << 16) |
                 (static_cast<size_t>(bytes[11]) << 24);
    header_start = 12;
  } else {
    return Status::unsupported(name + ": unsupported .npy version " + std::to_string(major));
  }
  if (header_start + header_len > size) return Status::corruption(name + ": truncated .npy header");
  std::string header(reinterpret_cast<const char*>(bytes + header_start), header_len);
  NpyArray array;
  CLIPSEARCH_RETURN_IF_ERROR(parse_header(header, name, &array.shape));
  uint64_t count = 1;
  for (int64_t d : array.shape) {
    if (d != 0 && count > (uint64_t{1} << 40) / static_cast<uint64_t>(d)) {
      return Status::corruption(name + ": .npy array is too large");
    }
    count *= static_cast<uint64_t>(d);
  }
  size_t data_start = header_start + header_len;
  if (size - data_start != count * sizeof(float)) {
    return Status::corruption(name + ": .npy data is " + std::to_string(size - data_start) +
                              " bytes, shape needs " + std::to_string(count * sizeof(float)));
  }
  array.data.resize(count);
  if (count > 0) std::memcpy(array.data.data(), bytes + data_start, count * sizeof(float));
  return array;
}

Result<NpyArray> npy_read(const std::string& path) {
  CLIPSEARCH_ASSIGN_OR_RETURN(MappedFile file, MappedFile::open(path));
  return npy_parse(file.data(), file.size(), path);
}

Status npy_write(const std::string& path, const std::vector<int64_t>& shape, const float* data) {
  std::string dims;
  size_t count = 1;
  for (int64_t d : shape) {
    dims += std::to_string(d) + ", ";
    count *= static_cast<size_t>(d);
  }
  if (shape.size() > 1) dims.resize(dims.size() - 1);  // "(3, 4)" but "(3,)"
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }";
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header.push_back('\n');
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return Status::io_error(path + ": cannot open for writing");
  out.write("\x93NUMPY\x01\x00", 8);
  uint16_t len = static_cast<uint16_t>(header.size());
  char len_bytes[2] = {static_cast<char>(len & 0xff), static_cast<char>(len >> 8)};
  out.write(len_bytes, 2);
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  out.write(reinterpret_cast<const char*>(data),
            static_cast<std::streamsize>(count * sizeof(float)));
  out.flush();
  if (!out) return Status::io_error(path + ": write failed");
  return Status();
}

}  // namespace clipsearch
