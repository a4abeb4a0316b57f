// AtomicFile: writes a file so that a crash or a full disk never leaves a half-written file
// under its name. Bytes go to a temporary file in the same folder ("<name>.tmp.<random>");
// commit() fsyncs it, renames it over the target and fsyncs the folder. Until commit() succeeds
// the old file (if any) is untouched; an AtomicFile destroyed without a successful commit()
// removes its temporary file. One writer per object; not thread-safe.
//
// Fault injection: set_atomic_file_fault_hook() installs a process-wide hook called before each
// step ("open", "write", "pwrite", "fsync", "rename", "fsync_dir"); a failed Status it returns
// is reported as that step's failure, as if the system call had failed. Tests only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "clipsearch/status.h"

namespace clipsearch {

class AtomicFile {
 public:
  static Result<AtomicFile> create(const std::string& path);

  AtomicFile() = default;
  AtomicFile(AtomicFile&& other) noexcept;
  AtomicFile& operator=(AtomicFile&& other) noexcept;
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile();

  // Appends `size` bytes (all of them, or an error naming the file: "No space left on device").
  Status append(const void* data, size_t size);
  // Appends zero bytes up to the next multiple of `alignment` of the file offset.
  Status pad_to(size_t alignment);
  // Overwrites bytes already appended (a header whose checksum is known only at the end).
  Status write_at(uint64_t offset, const void* data, size_t size);
  uint64_t size() const { return size_; }
  // fsync, rename over the target, fsync the folder. After it, the object is empty.
  Status commit();

  const std::string& path() const { return path_; }

 private:
  void discard();
  int fd_ = -1;
  uint64_t size_ = 0;
  std::string path_;
  std::string temp_path_;
};

using AtomicFileFaultHook = std::function<Status(const std::string& step, const std::string& path)>;
// Installs (or, with an empty function, removes) the fault-injection hook. Not thread-safe.
void set_atomic_file_fault_hook(AtomicFileFaultHook hook);

}  // namespace clipsearch
