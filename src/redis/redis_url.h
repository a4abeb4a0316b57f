// Where a Redis server is, from the URL a user gives to `serve --redis`:
//
//   redis://[[user]:password@]host[:port][/db]   TCP; port 6379 and database 0 by default;
//                                                an IPv6 host in brackets ([::1])
//   unix:///path/to/redis.sock[?db=N&password=P] a Unix socket
//
// Percent-escapes (%40 for '@') are decoded in the user, the password and the socket path.
// Error messages never repeat the URL, since it may hold a password.
#pragma once

#include <string>

#include "clipsearch/status.h"

namespace clipsearch::redis {

struct RedisEndpoint {
  std::string host;         // TCP; empty for a Unix socket
  int port = 6379;          // TCP
  std::string socket_path;  // Unix socket; empty for TCP
  std::string user;         // AUTH user (Redis 6 ACL); empty: the default user
  std::string password;     // AUTH password; empty: no AUTH
  int db = 0;               // SELECT

  // "host:port/db" or "unix:/path?db=N", without the password: for messages and logs.
  std::string describe() const;
};

Result<RedisEndpoint> parse_redis_url(const std::string& url);

}  // namespace clipsearch::redis
