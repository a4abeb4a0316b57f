// Helpers of the `clipsearch serve` end-to-end tests: a server child process on an ephemeral
// port, and raw POST requests (JSON or multipart) for the test HTTP client.
#pragma once

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

#include "testing/test_util.h"

namespace clipsearch::testing {

// A `clipsearch serve` child on an ephemeral port (give it "--port", "0"), stopped with SIGTERM.
class ServeProcess {
 public:
  // The child's stderr goes to a file (a pipe closed by the test would kill it with SIGPIPE).
  explicit ServeProcess(std::vector<std::string> args);
  ~ServeProcess();
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  int port() const { return port_; }  // 0: the server did not start (see log())
  std::string log() const { return read_file(log_path_); }

 private:
  TempDir log_dir_;
  std::string log_path_;
  pid_t pid_ = -1;
  int port_ = 0;
};

// "POST path HTTP/1.1" with the body and its type; `extra` header lines end in \r\n.
std::string post_request(const std::string& path, const std::string& type, const std::string& body,
                         const std::string& extra = "");

// A multipart/form-data body with boundary "XyZ": the text fields, then an `image` file part
// holding `image` when it is not empty.
std::string multipart_body(const std::vector<std::pair<std::string, std::string>>& fields,
                           const std::string& image);

}  // namespace clipsearch::testing
