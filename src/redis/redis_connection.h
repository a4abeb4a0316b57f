// RedisConnection: one blocking hiredis connection with a timeout on connecting and on every
// command, so that a hung server costs a request at most that long.
//
// Not thread-safe: one thread uses a connection at a time (RedisCache keeps a pool). After any
// error the connection is broken (hiredis leaves the protocol state undefined): drop it and open
// another. hiredis writes with write(2), so a server that closed the connection raises SIGPIPE:
// the process must ignore SIGPIPE (`clipsearch serve` does).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "clipsearch/status.h"
#include "redis/redis_url.h"

struct redisContext;

namespace clipsearch::redis {

// A reply, reduced to what the cache needs.
struct RedisReply {
  enum class Type { kString, kInteger, kNil, kStatus, kArray } type = Type::kNil;
  std::string str;  // kString, kStatus
  int64_t integer = 0;
};

class RedisConnection {
 public:
  // Connects, then AUTH and SELECT as the endpoint says. Errors name the endpoint.
  static Result<std::unique_ptr<RedisConnection>> open(const RedisEndpoint& endpoint,
                                                       std::chrono::milliseconds timeout);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Any command, arguments binary-safe. An error reply ("-ERR ...") is an error Status.
  Result<RedisReply> command(const std::vector<std::string>& args);

  // GET: nullopt when the key does not exist.
  Result<std::optional<std::string>> get(const std::string& key);
  // SET key value EX ttl.
  Status set(const std::string& key, const std::string& value, std::chrono::seconds ttl);

 private:
  RedisConnection(redisContext* context, std::string name, std::chrono::milliseconds timeout);
  Status error(StatusCode code, const std::string& what) const;
  Status io_error() const;

  redisContext* context_;
  std::string name_;  // endpoint.describe()
  std::chrono::milliseconds timeout_;
};

}  // namespace clipsearch::redis
