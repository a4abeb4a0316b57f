#include "server/test_http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <fstream>

namespace clipsearch::server::testing {

namespace {
using Clock = std::chrono::steady_clock;

// Waits for readable data until the deadline; appends it. Returns false on timeout, and sets
// *eof on end-of-file or reset.
bool read_some(int fd, Clock::time_point deadline, std::string* buf, bool* eof) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  if (left <= 0) return false;
  pollfd p{fd, POLLIN, 0};
  if (poll(&p, 1, static_cast<int>(left)) <= 0) return false;
  char tmp[65536];
  const ssize_t n = recv(fd, tmp, sizeof tmp, 0);
  if (n <= 0) {
    *eof = true;
    return true;
  }
  buf->append(tmp, static_cast<size_t>(n));
  return true;
}
}  // namespace

int connect_loopback(int port) { return connect_from("127.0.0.1", port); }

int connect_from(const std::string& source, int port, bool nonblocking) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0), 0);
  if (fd < 0) return -1;
  sockaddr_in from{};
  from.sin_family = AF_INET;
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<uint16_t>(port));
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok =
      inet_pton(AF_INET, source.c_str(), &from.sin_addr) == 1 &&
      bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) == 0 &&
      (connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0 || errno == EINPROGRESS);
  if (!ok) {
    close(fd);
    return -1;
  }
  return fd;
}

bool send_all(int fd, const std::string& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

RawResponse read_response(int fd, double timeout_seconds) {
  RawResponse r;
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(timeout_seconds));
  std::string buf;
  bool eof = false;
  size_t head_end;
  while ((head_end = buf.find("\r\n\r\n")) == std::string::npos) {
    if (eof || !read_some(fd, deadline, &buf, &eof)) {
      r.closed = eof;
      return r;
    }
  }
  const std::string head = buf.substr(0, head_end);
  std::string body = buf.substr(head_end + 4);
  if (head.compare(0, 5, "HTTP/") == 0 && head.size() > 12) r.status = std::atoi(head.c_str() + 9);
  size_t pos = head.find("\r\n");
  while (pos != std::string::npos) {
    const size_t next = head.find("\r\n", pos + 2);
    const std::string line =
        head.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
    const size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      r.headers[name] = value;
    }
    pos = next;
  }
  if (r.headers.count("content-length")) {
    const size_t want = std::strtoull(r.headers["content-length"].c_str(), nullptr, 10);
    while (body.size() < want && !eof && read_some(fd, deadline, &body, &eof)) {
    }
    r.body = body.substr(0, want);
  } else {
    while (!eof && read_some(fd, deadline, &body, &eof)) {
    }
    r.body = body;
  }
  r.closed = eof;
  return r;
}

RawResponse exchange(int port, const std::string& request, double timeout_seconds) {
  const int fd = connect_loopback(port);
  if (fd < 0) return {};
  send_all(fd, request);
  RawResponse r = read_response(fd, timeout_seconds);
  close(fd);
  return r;
}

bool wait_closed(int fd, double timeout_seconds) {
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(timeout_seconds));
  std::string sink;
  bool eof = false;
  while (!eof) {
    if (!read_some(fd, deadline, &sink, &eof)) return false;
    sink.clear();
  }
  return true;
}

std::string get_request(const std::string& path, const std::string& extra_headers) {
  return "GET " + path + " HTTP/1.1\r\nHost: localhost\r\n" + extra_headers + "\r\n";
}

namespace {
// A number from /proc/self/status ("VmRSS:", "Threads:"), or -1.
long process_status_value(const std::string& wanted) {
  std::ifstream in("/proc/self/status");
  std::string key;
  while (in >> key) {
    if (key == wanted) {
      long value = 0;
      in >> value;
      return value;
    }
    std::string rest;
    std::getline(in, rest);
  }
  return -1;
}
}  // namespace

long resident_kib() { return process_status_value("VmRSS:"); }
long thread_count() { return process_status_value("Threads:"); }

}  // namespace clipsearch::server::testing
