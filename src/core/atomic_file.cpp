#include "core/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>
#include <vector>

#include "core/errno_status.h"

namespace clipsearch {
namespace {

AtomicFileFaultHook& fault_hook() {
  static AtomicFileFaultHook hook;
  return hook;
}

Status injected(const char* step, const std::string& path) {
  if (!fault_hook()) return Status();
  return fault_hook()(step, path);
}

Status sys_error(const std::string& path, const char* what, int err) {
  return errno_status(err, path + ": " + what + ": " + std::strerror(err));
}

std::string folder_of(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

void set_atomic_file_fault_hook(AtomicFileFaultHook hook) { fault_hook() = std::move(hook); }

Result<AtomicFile> AtomicFile::create(const std::string& path) {
  std::random_device rd;
  const uint64_t salt = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  char suffix[32];
  std::snprintf(suffix, sizeof suffix, ".tmp.%016llx", static_cast<unsigned long long>(salt));
  AtomicFile file;
  file.path_ = path;
  file.temp_path_ = path + suffix;
  CLIPSEARCH_RETURN_IF_ERROR(injected("open", file.temp_path_));
  file.fd_ = ::open(file.temp_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (file.fd_ < 0) return sys_error(file.temp_path_, "cannot create", errno);
  return file;
}

AtomicFile::AtomicFile(AtomicFile&& other) noexcept { *this = std::move(other); }

AtomicFile& AtomicFile::operator=(AtomicFile&& other) noexcept {
  if (this != &other) {
    discard();
    fd_ = other.fd_;
    size_ = other.size_;
    path_ = std::move(other.path_);
    temp_path_ = std::move(other.temp_path_);
    other.fd_ = -1;
    other.size_ = 0;
  }
  return *this;
}

AtomicFile::~AtomicFile() { discard(); }

void AtomicFile::discard() {
  if (fd_ >= 0) {
    ::close(fd_);
    ::unlink(temp_path_.c_str());
  }
  fd_ = -1;
}

Status AtomicFile::append(const void* data, size_t size) {
  assert(fd_ >= 0);
  CLIPSEARCH_RETURN_IF_ERROR(injected("write", temp_path_));
  const auto* p = static_cast<const uint8_t*>(data);
  while (size > 0) {
    const ssize_t n = ::write(fd_, p, std::min<size_t>(size, size_t{1} << 30));
    if (n < 0) {
      if (errno == EINTR) continue;
      return sys_error(temp_path_, "cannot write", errno);
    }
    p += n;
    size -= static_cast<size_t>(n);
    size_ += static_cast<uint64_t>(n);
  }
  return Status();
}

Status AtomicFile::pad_to(size_t alignment) {
  const size_t pad = static_cast<size_t>((alignment - size_ % alignment) % alignment);
  if (pad == 0) return Status();
  const std::vector<uint8_t> zeros(pad, 0);
  return append(zeros.data(), pad);
}

Status AtomicFile::write_at(uint64_t offset, const void* data, size_t size) {
  assert(fd_ >= 0 && offset + size <= size_);
  CLIPSEARCH_RETURN_IF_ERROR(injected("pwrite", temp_path_));
  const auto* p = static_cast<const uint8_t*>(data);
  while (size > 0) {
    const ssize_t n = ::pwrite(fd_, p, size, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return sys_error(temp_path_, "cannot write", errno);
    }
    p += n;
    size -= static_cast<size_t>(n);
    offset += static_cast<uint64_t>(n);
  }
  return Status();
}

Status AtomicFile::commit() {
  assert(fd_ >= 0);
  Status st = injected("fsync", temp_path_);
  if (st.ok() && ::fsync(fd_) != 0) st = sys_error(temp_path_, "cannot fsync", errno);
  if (!st.ok()) {
    discard();
    return st;
  }
  // close() can report a delayed write error (NFS); the data is already on disk otherwise.
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(temp_path_.c_str());
    return sys_error(temp_path_, "cannot close", err);
  }
  st = injected("rename", path_);
  if (st.ok() && ::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    st = sys_error(path_, "cannot rename the temporary file over it", errno);
  }
  if (!st.ok()) {
    ::unlink(temp_path_.c_str());
    return st;
  }
  // The rename is durable only once the folder's entry is on disk.
  const std::string folder = folder_of(path_);
  CLIPSEARCH_RETURN_IF_ERROR(injected("fsync_dir", folder));
  const int dir = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return sys_error(folder, "cannot open folder to fsync", errno);
  const int rc = ::fsync(dir);
  const int err = errno;
  ::close(dir);
  if (rc != 0) return sys_error(folder, "cannot fsync folder", err);
  return Status();
}

}  // namespace clipsearch
