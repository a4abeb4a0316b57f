#include "server/mhd_response.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

namespace clipsearch::server {

namespace {

// The file of `response`, or nullptr (and the file closed) when it is not a readable regular
// file.
MHD_Response* file_response(const Response& response) {
  const int fd = open(response.file_path.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st {};
  if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    if (fd >= 0) close(fd);
    return nullptr;
  }
  MHD_Response* r =
      response.file_length < 0
          ? MHD_create_response_from_fd64(static_cast<uint64_t>(st.st_size), fd)
          : MHD_create_response_from_fd_at_offset64(static_cast<uint64_t>(response.file_length), fd,
                                                    static_cast<uint64_t>(response.file_offset));
  if (r == nullptr) close(fd);
  return r;
}

}  // namespace

MHD_Response* make_mhd_response(Response* response, bool* replaced_by_404) {
  *replaced_by_404 = false;
  MHD_Response* r = nullptr;
  if (!response->file_path.empty()) {
    r = file_response(*response);
    if (r == nullptr) {
      *response = Response::error(404, "file not found");
      *replaced_by_404 = true;
    }
  }
  if (r == nullptr) {
    r = MHD_create_response_from_buffer(
        response->body.size(), const_cast<char*>(response->body.data()), MHD_RESPMEM_MUST_COPY);
  }
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
