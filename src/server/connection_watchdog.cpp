#include "server/connection_watchdog.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

namespace clipsearch::server {

namespace {
enum Phase { kHead, kBody, kHandling };
using Clock = std::chrono::steady_clock;
}  // namespace

struct ConnectionWatchdog::Connection {
  int fd = -1;  // our dup of the socket
  int phase = kHead;
  Clock::time_point deadline;  // of the head or the body; none while handling
  bool cut = false;
};

ConnectionWatchdog::ConnectionWatchdog(double header_timeout_seconds, double body_timeout_seconds)
    : header_timeout_(header_timeout_seconds), body_timeout_(body_timeout_seconds) {
  thread_ = std::thread([this] { run(); });
}

ConnectionWatchdog::~ConnectionWatchdog() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
  for (Connection* c : open_) {
    close(c->fd);
    delete c;
  }
}

ConnectionWatchdog::Connection* ConnectionWatchdog::opened(int socket_fd,
                                                           double head_timeout_seconds) {
  const int fd = fcntl(socket_fd, F_DUPFD_CLOEXEC, 0);
  if (fd < 0) return nullptr;
  auto* c = new Connection;
  c->fd = fd;
  const auto limit = head_timeout_seconds > 0 ? std::chrono::duration<double>(head_timeout_seconds)
                                              : header_timeout_;
  c->deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(limit);
  std::lock_guard<std::mutex> lock(mutex_);
  open_.insert(c);
  return c;
}

void ConnectionWatchdog::set_phase(Connection* c, int phase, std::chrono::duration<double> limit) {
  if (c == nullptr) return;
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(limit);
  std::lock_guard<std::mutex> lock(mutex_);
  c->phase = phase;
  c->deadline = deadline;
}

void ConnectionWatchdog::headers_received(Connection* c) { set_phase(c, kBody, body_timeout_); }
void ConnectionWatchdog::body_received(Connection* c) {
  set_phase(c, kHandling, std::chrono::duration<double>(0));
}
void ConnectionWatchdog::request_done(Connection* c) { set_phase(c, kHead, header_timeout_); }

void ConnectionWatchdog::closed(Connection* c) {
  if (c == nullptr) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    open_.erase(c);
  }
  close(c->fd);
  delete c;
}

void ConnectionWatchdog::run() {
  // Scan often enough that a deadline is overshot by at most a quarter of the shorter one, and
  // by at most 250 ms (a refused connection's short head deadline). A scan of 10,000
  // connections takes microseconds.
  const auto shorter = std::min(header_timeout_, body_timeout_);
  const auto period = std::clamp(std::chrono::duration_cast<std::chrono::milliseconds>(shorter / 4),
                                 std::chrono::milliseconds(10), std::chrono::milliseconds(250));
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, period);
    const auto now = Clock::now();
    for (Connection* c : open_) {
      if (c->cut || c->phase == kHandling) continue;
      if (now > c->deadline) {
        c->cut = true;
        cut_.fetch_add(1);
        shutdown(c->fd, SHUT_RDWR);
      }
    }
  }
}

}  // namespace clipsearch::server
