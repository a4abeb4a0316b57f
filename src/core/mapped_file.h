// MappedFile: a read-only memory map of a whole file.
//
// Weights are read straight from the map (no copy), so a model costs its file's size in page
// cache and starts in milliseconds. The object owns the mapping; pointers into data() are valid
// until it is destroyed. Movable, not copyable; const methods are thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "clipsearch/status.h"

namespace clipsearch {

class MappedFile {
 public:
  static Result<MappedFile> open(const std::string& path);

  MappedFile() = default;
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }

  // Tells the kernel the pages wholly inside [begin, begin + size) will not be read again, so
  // they leave this process's resident memory (used after converting F16 weights to F32).
  // Reading them later is still valid: they are read back from the file.
  void release(const uint8_t* begin, size_t size) const;

 private:
  void reset();
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  std::string path_;
};

}  // namespace clipsearch
