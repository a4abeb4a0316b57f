#include "server/mhd_response.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <string>

namespace clipsearch::server {

namespace {

// libmicrohttpd's content reader closure: the stream and the connection it answers.
struct FileReader {
  std::shared_ptr<FileStream> stream;
  MHD_Connection* connection;
};

ssize_t read_file(void* cls, uint64_t pos, char* buf, size_t max) {
  auto* reader = static_cast<FileReader*>(cls);
  return reader->stream->read(reader->connection, pos, buf, max);
}

void free_file_reader(void* cls) {
  auto* reader = static_cast<FileReader*>(cls);
  reader->stream->release();
  delete reader;
}

}  // namespace

MHD_Response* make_mhd_response(const Response& response, std::shared_ptr<FileStream> file,
                                MHD_Connection* connection) {
  if (file == nullptr) {
    return MHD_create_response_from_buffer(
        response.body.size(), const_cast<char*>(response.body.data()), MHD_RESPMEM_MUST_COPY);
  }
  const auto size = static_cast<uint64_t>(file->size());
  // libmicrohttpd's own send buffer per answer: up to 64 KiB, no more than a small file needs.
  const auto block = static_cast<size_t>(std::clamp<uint64_t>(size, 1, 64 * 1024));
  auto* reader = new FileReader{std::move(file), connection};
  MHD_Response* r =
      MHD_create_response_from_callback(size, block, read_file, reader, free_file_reader);
  if (r == nullptr) free_file_reader(reader);
  return r;
}

void write_raw_response(int socket_fd, const Response& response) {
  std::string raw = "HTTP/1.1 " + std::to_string(response.status) + " " +
                    http_status_text(response.status) + "\r\n";
  for (const auto& [name, value] : response.headers) raw += name + ": " + value + "\r\n";
  raw += "\r\n" + response.body;
  size_t sent = 0;
  while (sent < raw.size()) {
    const ssize_t n =
        ::send(socket_fd, raw.data() + sent, raw.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  shutdown(socket_fd, SHUT_WR);
}

}  // namespace clipsearch::server
