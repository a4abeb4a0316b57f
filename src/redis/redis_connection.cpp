#include "redis/redis_connection.h"

#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <cerrno>
#include <cstring>

namespace clipsearch::redis {
namespace {

timeval to_timeval(std::chrono::milliseconds ms) {
  timeval tv;
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};

// An error reply: a server that is starting, busy or failing over asks to be retried; any other
// refusal ("ERR value is not an integer", "NOAUTH", "WRONGPASS") is about the request itself.
StatusCode reply_error_code(const std::string& reply) {
  for (const char* retry : {"LOADING", "BUSY", "MASTERDOWN", "TRYAGAIN", "CLUSTERDOWN"}) {
    if (reply.compare(0, std::strlen(retry), retry) == 0) return StatusCode::kUnavailable;
  }
  return StatusCode::kInvalidArgument;
}

}  // namespace

RedisConnection::RedisConnection(redisContext* context, std::string name,
                                 std::chrono::milliseconds timeout)
    : context_(context), name_(std::move(name)), timeout_(timeout) {}

RedisConnection::~RedisConnection() { redisFree(context_); }

Status RedisConnection::error(StatusCode code, const std::string& what) const {
  return Status::error(code, "redis " + name_ + ": " + what);
}

// hiredis reports a command timeout as an I/O error with errno's text ("Resource temporarily
// unavailable"); say what happened instead.
Status RedisConnection::io_error() const {
  if (context_->err == REDIS_ERR_IO && std::strcmp(context_->errstr, std::strerror(EAGAIN)) == 0) {
    return error(StatusCode::kUnavailable,
                 "no answer within " + std::to_string(timeout_.count()) + " ms");
  }
  return error(StatusCode::kUnavailable, context_->err != 0 ? context_->errstr : "no reply");
}

Result<std::unique_ptr<RedisConnection>> RedisConnection::open(const RedisEndpoint& endpoint,
                                                               std::chrono::milliseconds timeout) {
  const timeval tv = to_timeval(timeout);
  redisContext* c = endpoint.socket_path.empty()
                        ? redisConnectWithTimeout(endpoint.host.c_str(), endpoint.port, tv)
                        : redisConnectUnixWithTimeout(endpoint.socket_path.c_str(), tv);
  if (c == nullptr) return Status::error("redis " + endpoint.describe() + ": out of memory");
  std::unique_ptr<RedisConnection> conn(new RedisConnection(c, endpoint.describe(), timeout));
  if (c->err != 0) {
    return conn->error(StatusCode::kUnavailable, std::string("cannot connect: ") + c->errstr);
  }
  if (redisSetTimeout(c, tv) != REDIS_OK) {
    return conn->error(StatusCode::kInternal, "cannot set the command timeout");
  }
  if (!endpoint.password.empty()) {
    std::vector<std::string> auth{"AUTH"};
    if (!endpoint.user.empty()) auth.push_back(endpoint.user);
    auth.push_back(endpoint.password);
    CLIPSEARCH_RETURN_IF_ERROR(conn->command(auth).status().with_context("AUTH"));
  }
  if (endpoint.db != 0) {
    CLIPSEARCH_RETURN_IF_ERROR(
        conn->command({"SELECT", std::to_string(endpoint.db)}).status().with_context("SELECT"));
  }
  return conn;
}

Result<RedisReply> RedisConnection::command(const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  for (const std::string& a : args) {
    argv.push_back(a.data());
    lengths.push_back(a.size());
  }
  std::unique_ptr<redisReply, ReplyDeleter> reply(static_cast<redisReply*>(
      redisCommandArgv(context_, static_cast<int>(args.size()), argv.data(), lengths.data())));
  if (!reply) return io_error();
  RedisReply out;
  switch (reply->type) {
    case REDIS_REPLY_ERROR: {
      const std::string text(reply->str, reply->len);
      return error(reply_error_code(text), text);
    }
    case REDIS_REPLY_STRING:
      out.type = RedisReply::Type::kString;
      out.str.assign(reply->str, reply->len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = RedisReply::Type::kStatus;
      out.str.assign(reply->str, reply->len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::kInteger;
      out.integer = reply->integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = RedisReply::Type::kArray;
      break;
    default:
      out.type = RedisReply::Type::kNil;
  }
  return out;
}

Result<std::optional<std::string>> RedisConnection::get(const std::string& key) {
  CLIPSEARCH_ASSIGN_OR_RETURN(RedisReply reply, command({"GET", key}));
  if (reply.type == RedisReply::Type::kNil) return std::optional<std::string>();
  if (reply.type != RedisReply::Type::kString) {
    return error(StatusCode::kInternal, "GET: unexpected reply type");
  }
  return std::optional<std::string>(std::move(reply.str));
}

Status RedisConnection::set(const std::string& key, const std::string& value,
                            std::chrono::seconds ttl) {
  CLIPSEARCH_ASSIGN_OR_RETURN(RedisReply reply,
                              command({"SET", key, value, "EX", std::to_string(ttl.count())}));
  if (reply.type != RedisReply::Type::kStatus) {
    return error(StatusCode::kInternal, "SET: unexpected reply type");
  }
  return Status();
}

}  // namespace clipsearch::redis
