#include "server/file_stream.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace clipsearch::server {

std::shared_ptr<FileStream> FileStream::open(const std::string& path, int64_t offset,
                                             int64_t length, HandlerPool* pool, FileRead read) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st {};
  if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || offset < 0 || offset > st.st_size) {
    if (fd >= 0) close(fd);
    return nullptr;
  }
  if (length < 0 || length > st.st_size - offset) length = st.st_size - offset;
  if (!read) {
    read = [](int f, char* buf, size_t n, int64_t at) { return pread(f, buf, n, at); };
  }
  std::shared_ptr<FileStream> stream(new FileStream(fd, offset, length, pool, std::move(read)));
  const size_t first = static_cast<size_t>(std::min<int64_t>(length, kFileChunkBytes));
  if (!stream->read_chunk(0, first, &stream->ready_)) return nullptr;
  stream->read_to_ = static_cast<int64_t>(first);
  return stream;
}

FileStream::FileStream(int fd, int64_t offset, int64_t length, HandlerPool* pool, FileRead read)
    : fd_(fd), offset_(offset), length_(length), pool_(pool), read_(std::move(read)) {}

FileStream::~FileStream() { close(fd_); }

bool FileStream::read_chunk(int64_t at, size_t n, std::string* out) const {
  out->resize(n);
  size_t got = 0;
  while (got < n) {
    const ssize_t r = read_(fd_, out->data() + got, n - got, offset_ + at + got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;  // an error, or the file is shorter than when it was opened
    got += static_cast<size_t>(r);
  }
  return true;
}

ssize_t FileStream::read(MHD_Connection* connection, uint64_t pos, char* out, size_t max) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (failed_) return MHD_CONTENT_READER_END_WITH_ERROR;
  const auto at = static_cast<int64_t>(pos);
  if (at >= length_) return MHD_CONTENT_READER_END_OF_STREAM;
  if (at < ready_at_) return MHD_CONTENT_READER_END_WITH_ERROR;  // libmicrohttpd reads forward
  if (at >= ready_at_ + static_cast<int64_t>(ready_.size())) {
    if (!next_ready_) {
      if (!reading_) start_read_locked();
      if (failed_) return MHD_CONTENT_READER_END_WITH_ERROR;
      waiting_ = connection;
      MHD_suspend_connection(connection);
      return 0;
    }
    ready_at_ += static_cast<int64_t>(ready_.size());
    ready_.swap(next_);
    next_ready_ = false;
  }
  const size_t from = static_cast<size_t>(at - ready_at_);
  const size_t n = std::min(max, ready_.size() - from);
  std::memcpy(out, ready_.data() + from, n);
  // Read ahead: the next chunk comes in while this one goes out.
  if (!reading_ && !next_ready_ && read_to_ < length_) start_read_locked();
  return static_cast<ssize_t>(n);
}

void FileStream::start_read_locked() {
  reading_ = true;
  std::shared_ptr<FileStream> self = shared_from_this();
  if (!pool_->submit([self](bool run) { self->fill(run); })) {
    reading_ = false;
    failed_ = true;  // the server is stopping
  }
}

void FileStream::fill(bool run) {
  int64_t at;
  bool released;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    at = read_to_;
    released = released_;
  }
  const size_t n = static_cast<size_t>(std::min<int64_t>(length_ - at, kFileChunkBytes));
  std::string chunk;
  const bool ok = run && !released && read_chunk(at, n, &chunk);
  MHD_Connection* resume = nullptr;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    reading_ = false;
    if (ok) {
      next_ = std::move(chunk);
      next_ready_ = true;
      read_to_ = at + static_cast<int64_t>(n);
    } else {
      failed_ = true;
    }
    std::swap(resume, waiting_);
  }
  if (resume != nullptr) MHD_resume_connection(resume);
}

void FileStream::release() {
  std::lock_guard<std::mutex> lock(mutex_);
  released_ = true;
  waiting_ = nullptr;
}

}  // namespace clipsearch::server
