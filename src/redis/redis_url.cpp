#include "redis/redis_url.h"

#include <cctype>
#include <string_view>

namespace clipsearch::redis {
namespace {

constexpr const char* kForms =
    "expected redis://[:password@]host[:port][/db] or unix:///path/to/redis.sock";

Status url_error(const std::string& what) {
  return Status::invalid_argument("redis URL: " + what + " (" + kForms + ")");
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> percent_decode(std::string_view s, const char* what) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    const int hi = i + 2 < s.size() ? hex_digit(s[i + 1]) : -1;
    const int lo = hi >= 0 ? hex_digit(s[i + 2]) : -1;
    if (lo < 0) return url_error(std::string("a bad %-escape in the ") + what);
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

// A decimal number in [lo, hi].
Result<int> parse_int(std::string_view s, int lo, int hi, const char* what) {
  long v = 0;
  if (s.empty() || s.size() > 9) return url_error(std::string("the ") + what + " is not a number");
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) {
      return url_error(std::string("the ") + what + " is not a number");
    }
    v = v * 10 + (c - '0');
  }
  if (v < lo || v > hi) {
    return url_error(std::string("the ") + what + " must be between " + std::to_string(lo) +
                     " and " + std::to_string(hi));
  }
  return static_cast<int>(v);
}

constexpr int kMaxDb = 1 << 20;  // Redis has 16 databases by default; the server decides

Status parse_userinfo(std::string_view info, RedisEndpoint* e) {
  // As redis-cli: "user:password", ":password", or a bare password.
  const size_t colon = info.find(':');
  std::string_view user = colon == std::string_view::npos ? "" : info.substr(0, colon);
  std::string_view password = colon == std::string_view::npos ? info : info.substr(colon + 1);
  CLIPSEARCH_ASSIGN_OR_RETURN(e->user, percent_decode(user, "user"));
  CLIPSEARCH_ASSIGN_OR_RETURN(e->password, percent_decode(password, "password"));
  return Status();
}

// host[:port] with an optional [IPv6] host.
Status parse_host_port(std::string_view s, RedisEndpoint* e) {
  std::string_view port;
  if (!s.empty() && s[0] == '[') {
    const size_t close = s.find(']');
    if (close == std::string_view::npos) return url_error("an IPv6 host without ']'");
    e->host = std::string(s.substr(1, close - 1));
    std::string_view rest = s.substr(close + 1);
    if (!rest.empty() && rest[0] != ':') return url_error("unexpected text after the host");
    if (!rest.empty()) port = rest.substr(1);
    if (!rest.empty() && port.empty()) return url_error("the port is empty");
  } else {
    const size_t colon = s.find(':');
    e->host = std::string(s.substr(0, colon));
    if (colon != std::string_view::npos) {
      port = s.substr(colon + 1);
      if (port.empty()) return url_error("the port is empty");
    }
  }
  if (e->host.empty()) return url_error("the host is missing");
  if (!port.empty()) {
    CLIPSEARCH_ASSIGN_OR_RETURN(e->port, parse_int(port, 1, 65535, "port"));
  }
  return Status();
}

Result<RedisEndpoint> parse_tcp(std::string_view rest) {
  RedisEndpoint e;
  const size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash + 1);
  if (rest.find('?') != std::string_view::npos) return url_error("query options are not read");
  const size_t at = authority.rfind('@');
  if (at != std::string_view::npos) {
    CLIPSEARCH_RETURN_IF_ERROR(parse_userinfo(authority.substr(0, at), &e));
    authority = authority.substr(at + 1);
  }
  CLIPSEARCH_RETURN_IF_ERROR(parse_host_port(authority, &e));
  if (!path.empty()) {
    CLIPSEARCH_ASSIGN_OR_RETURN(e.db, parse_int(path, 0, kMaxDb, "database"));
  }
  return e;
}

Result<RedisEndpoint> parse_unix(std::string_view rest) {
  RedisEndpoint e;
  const size_t question = rest.find('?');
  CLIPSEARCH_ASSIGN_OR_RETURN(e.socket_path, percent_decode(rest.substr(0, question), "path"));
  if (e.socket_path.empty() || e.socket_path[0] != '/') {
    return url_error("a Unix socket needs an absolute path (unix:///path)");
  }
  std::string_view query = question == std::string_view::npos ? "" : rest.substr(question + 1);
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view item = query.substr(0, amp);
    query = amp == std::string_view::npos ? "" : query.substr(amp + 1);
    const size_t eq = item.find('=');
    const std::string_view name = item.substr(0, eq);
    const std::string_view value = eq == std::string_view::npos ? "" : item.substr(eq + 1);
    if (name == "db") {
      CLIPSEARCH_ASSIGN_OR_RETURN(e.db, parse_int(value, 0, kMaxDb, "database"));
    } else if (name == "password") {
      CLIPSEARCH_ASSIGN_OR_RETURN(e.password, percent_decode(value, "password"));
    } else {
      return url_error("unknown option '" + std::string(name) + "' (db and password are read)");
    }
  }
  return e;
}

}  // namespace

std::string RedisEndpoint::describe() const {
  if (!socket_path.empty()) return "unix:" + socket_path + "?db=" + std::to_string(db);
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port) + "/" + std::to_string(db);
}

Result<RedisEndpoint> parse_redis_url(const std::string& url) {
  const std::string_view u(url);
  if (u.rfind("redis://", 0) == 0) return parse_tcp(u.substr(8));
  if (u.rfind("unix://", 0) == 0) return parse_unix(u.substr(7));
  if (u.rfind("rediss://", 0) == 0) return url_error("TLS (rediss://) is not supported");
  return url_error("unknown scheme");
}

}  // namespace clipsearch::redis
