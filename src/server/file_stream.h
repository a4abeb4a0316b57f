// FileStream: a file answer (a thumbnail, an original picture or video, or a range of it) read
// on the handler pool and sent by the event threads, so that a slow disk never stalls the event
// loop that serves every other connection.
//
// The handler pool opens the file and reads its first chunk (open()); the event thread sends it
// through libmicrohttpd's content reader (read()). While the event thread sends one chunk the
// pool reads the next; when the event thread finds nothing read yet, it suspends the connection
// and the pool's read resumes it. So an event thread only ever copies bytes already in memory.
//
// Memory: at most two chunks (kFileChunkBytes) per answer being sent, the first no larger than
// the answer, and libmicrohttpd's send buffer (up to 64 KiB). Thread-safe: read() runs
// on the connection's event thread, the reads on pool threads. The stream is shared by the
// libmicrohttpd response and a read in flight; release() says the response is gone.
#pragma once

#include <microhttpd.h>
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "server/handler_pool.h"
#include "server/server_config.h"

namespace clipsearch::server {

inline constexpr size_t kFileChunkBytes = 256 * 1024;

class FileStream : public std::enable_shared_from_this<FileStream> {
 public:
  // Opens `path` and reads the first chunk of the answer: `length` bytes from `offset`, or the
  // whole file when length < 0. Runs on a pool thread. nullptr when the path is not a readable
  // regular file.
  static std::shared_ptr<FileStream> open(const std::string& path, int64_t offset, int64_t length,
                                          HandlerPool* pool, FileRead read);
  ~FileStream();
  FileStream(const FileStream&) = delete;
  FileStream& operator=(const FileStream&) = delete;

  int64_t size() const { return length_; }  // bytes the answer carries

  // libmicrohttpd's content reader for answer position `pos`: copies up to `max` bytes already
  // read; when none are, asks the pool for the next chunk, suspends `connection` and returns 0
  // (the read resumes it). MHD_CONTENT_READER_END_WITH_ERROR when a read failed or the file
  // shrank (the connection is then closed: the status line has gone out already).
  ssize_t read(MHD_Connection* connection, uint64_t pos, char* out, size_t max);
  // The response is gone (sent, or the client left).
  void release();

 private:
  FileStream(int fd, int64_t offset, int64_t length, HandlerPool* pool, FileRead read);
  // Reads the answer's bytes [at, at + n) into `out`; false on an error or a short file.
  bool read_chunk(int64_t at, size_t n, std::string* out) const;
  void start_read_locked();
  void fill(bool run);  // the pool's job: the next chunk

  const int fd_;
  const int64_t offset_, length_;
  HandlerPool* const pool_;
  const FileRead read_;

  std::mutex mutex_;
  std::string ready_;  // answer bytes [ready_at_, ready_at_ + ready_.size())
  int64_t ready_at_ = 0;
  std::string next_;  // the chunk after it, once read
  bool next_ready_ = false;
  bool reading_ = false;  // a pool job is reading the next chunk
  int64_t read_to_ = 0;   // answer bytes read so far
  bool failed_ = false;
  bool released_ = false;
  MHD_Connection* waiting_ = nullptr;  // suspended until the next chunk is read
};

}  // namespace clipsearch::server
