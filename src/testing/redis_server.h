// A private redis-server for the tests of `serve --redis`: listening on a free 127.0.0.1 port and
// on a Unix socket in its own temporary folder, with no persistence (--save "" --appendonly no),
// killed by the destructor. A machine without redis-server fails the tests that need it
// (running() is false and error() says why): scripts/setup.sh installs it.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "testing/test_util.h"

namespace clipsearch::testing {

class RedisServer {
 public:
  // `extra` is appended to the command line, e.g. {"--requirepass", "secret"}.
  explicit RedisServer(std::vector<std::string> extra = {});
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  bool running() const { return pid_ > 0; }
  const std::string& error() const { return error_; }
  int port() const { return port_; }
  std::string socket_path() const { return dir_.file("redis.sock"); }
  std::string tcp_url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  std::string unix_url() const { return "unix://" + socket_path(); }

  // SIGKILL (Redis dies), SIGSTOP/SIGCONT (Redis hangs), and a fresh start on the same port and
  // socket (an empty server again, as after a crash without persistence).
  void kill();
  void pause();
  void resume();
  bool restart();

 private:
  bool start();

  TempDir dir_;
  std::vector<std::string> extra_;
  int port_ = 0;
  pid_t pid_ = -1;
  std::string error_;
};

}  // namespace clipsearch::testing
