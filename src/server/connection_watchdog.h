// ConnectionWatchdog: deadlines for the slow parts of a request, which an idle timeout cannot
// catch. libmicrohttpd's connection timeout restarts on every byte, so a client trickling one
// header byte per second ("slowloris") or a body at a few bytes per second would hold its
// connection, and its thread, forever. The watchdog gives the request head, and then the body,
// a deadline measured from when it started; past it, the socket is shut down and the server's
// event loop sees end-of-file and closes the connection.
//
// The watchdog shuts down its own dup() of the socket (shutdown acts on the socket, not on the
// descriptor), so it can never touch a descriptor number that the server has closed and the
// kernel has reused. Thread-safe: the server calls it from its event threads, and its own thread
// scans the open connections a few times per second.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <unordered_set>

namespace clipsearch::server {

class ConnectionWatchdog {
 public:
  struct Connection;  // opaque: one per open connection

  ConnectionWatchdog(double header_timeout_seconds, double body_timeout_seconds);
  ~ConnectionWatchdog();
  ConnectionWatchdog(const ConnectionWatchdog&) = delete;
  ConnectionWatchdog& operator=(const ConnectionWatchdog&) = delete;

  // A new connection: its request head is now due, within the header timeout or, when given,
  // `head_timeout_seconds` (a connection over its address's cap gets only long enough to send
  // the head that is answered 429). Null if the descriptor cannot be dup'ed (out of
  // descriptors): the connection then has only the idle timeout.
  Connection* opened(int socket_fd, double head_timeout_seconds = 0);
  void headers_received(Connection* c);  // the body (if any) is now due
  void body_received(Connection* c);     // the handler runs: no deadline
  void request_done(Connection* c);      // keep-alive: the next request head is due
  void closed(Connection* c);            // forgets it and closes the dup

  uint64_t connections_cut() const { return cut_.load(); }

 private:
  void set_phase(Connection* c, int phase, std::chrono::duration<double> limit);
  void run();

  const std::chrono::duration<double> header_timeout_;
  const std::chrono::duration<double> body_timeout_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::unordered_set<Connection*> open_;
  std::atomic<uint64_t> cut_{0};
  std::thread thread_;
};

}  // namespace clipsearch::server
