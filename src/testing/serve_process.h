// A `clipsearch serve` child for the end-to-end tests: started with the given command line
// (`--port 0`), its port read from the line it logs, stopped with SIGTERM by stop() or the
// destructor.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "testing/test_util.h"

namespace clipsearch::testing {

class ServeProcess {
 public:
  // Waits up to 60 s for the server to listen; port() is 0 when it did not (log() says why).
  explicit ServeProcess(std::vector<std::string> args);
  ~ServeProcess();
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  int port() const { return port_; }
  // Sends SIGTERM and waits for the server to end; returns its wait status (as waitpid gives
  // it), or -1 when it was not running: it never started, ended while starting, or was stopped
  // already. The destructor stops a server no one stopped.
  int stop();
  // What the server wrote to stderr so far.
  std::string log() const { return read_file(log_path_); }

 private:
  TempDir log_dir_;
  std::string log_path_;
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace clipsearch::testing
