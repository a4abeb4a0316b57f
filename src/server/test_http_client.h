// A raw-socket HTTP/1.1 client for the server tests: it sends exactly the bytes a test writes
// (malformed chunk sizes, endless header lines, one byte per second) and reads what comes back,
// every call bounded by a timeout.
#pragma once

#include <map>
#include <string>

namespace clipsearch::server::testing {

struct RawResponse {
  int status = 0;                              // 0: no status line arrived
  std::map<std::string, std::string> headers;  // names lowercased
  std::string body;
  bool closed = false;  // the server closed the connection after (or instead of) the response
};

// A blocking socket connected to 127.0.0.1:port, or -1.
int connect_loopback(int port);
// A socket from `source` (another loopback address, "127.0.0.2", stands for another client) to
// 127.0.0.1:port, or -1. Non-blocking: the connect may still be in progress.
int connect_from(const std::string& source, int port, bool nonblocking = false);
// Sends everything; false when the peer closed or reset the connection.
bool send_all(int fd, const std::string& bytes);
// Reads one response: the head, then Content-Length bytes (or until close).
RawResponse read_response(int fd, double timeout_seconds = 5.0);
// Connects, sends `request`, reads one response, closes.
RawResponse exchange(int port, const std::string& request, double timeout_seconds = 5.0);
// True when the peer closes the connection (end-of-file or reset) within the timeout; reads and
// discards whatever arrives meanwhile.
bool wait_closed(int fd, double timeout_seconds);
// "GET path HTTP/1.1" with Host and the extra header lines (each ending in \r\n).
std::string get_request(const std::string& path, const std::string& extra_headers = "");
// This process's resident set size in KiB (/proc/self/status VmRSS).
long resident_kib();
// This process's thread count (/proc/self/status Threads).
long thread_count();

}  // namespace clipsearch::server::testing
