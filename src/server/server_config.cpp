#include "server/server_config.h"

#include <arpa/inet.h>

#include <cstring>

#include "server/client_address.h"

namespace clipsearch::server {

bool is_loopback_address(const std::string& address) {
  in_addr v4{};
  if (inet_pton(AF_INET, address.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, address.c_str(), &v6) == 1) {
    static const uint8_t kLoopback[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    if (std::memcmp(v6.s6_addr, kLoopback, 16) == 0) return true;
    static const uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return std::memcmp(v6.s6_addr, kMapped, 12) == 0 && v6.s6_addr[12] == 127;
  }
  return false;
}

bool constant_time_equal(const std::string& a, const std::string& b) {
  const size_t n = a.size() > b.size() ? a.size() : b.size();
  unsigned diff = a.size() == b.size() ? 0u : 1u;
  for (size_t i = 0; i < n; ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned>(x ^ y);
  }
  return diff == 0;
}

Status ServerConfig::validate() const {
  in_addr v4{};
  in6_addr v6{};
  if (inet_pton(AF_INET, bind_address.c_str(), &v4) != 1 &&
      inet_pton(AF_INET6, bind_address.c_str(), &v6) != 1) {
    return Status::error("bind address '" + bind_address +
                         "' is not an IPv4 or IPv6 address (host names are not resolved)");
  }
  if (port < 0 || port > 65535) {
    return Status::error("port " + std::to_string(port) + " is outside 0..65535");
  }
  if (!is_loopback_address(bind_address) && auth_token.empty() && !no_auth) {
    return Status::error("refusing to listen on " + bind_address +
                         " without authentication: it is reachable from other machines. Set a "
                         "token (clients send 'Authorization: Bearer <token>'), or pass no_auth "
                         "explicitly if something in front of the server controls access");
  }
  for (char c : auth_token) {
    if (c <= ' ' || c == 0x7f) {
      return Status::error("the auth token contains a space or control character");
    }
  }
  if (max_body_bytes == 0) return Status::error("max_body_bytes must be positive");
  if (max_header_bytes < 4096) {
    return Status::error("max_header_bytes " + std::to_string(max_header_bytes) +
                         " is below 4096: ordinary browser requests would be refused");
  }
  if (max_connections_per_ip == 0) {
    return Status::error("max_connections_per_ip must be positive");
  }
  if (handler_threads == 0 || handler_threads > 4096) {
    return Status::error("handler_threads " + std::to_string(handler_threads) +
                         " is outside 1..4096");
  }
  if (event_threads == 0 || event_threads > 64) {
    return Status::error("event_threads " + std::to_string(event_threads) + " is outside 1..64");
  }
  if (Result<std::vector<AddressRange>> proxies = parse_address_ranges(trusted_proxies);
      !proxies.ok()) {
    return Status::error("trusted proxy " + proxies.status().message());
  }
  if (header_timeout_seconds <= 0 || body_timeout_seconds <= 0) {
    return Status::error("request timeouts must be positive");
  }
  return Status();
}

}  // namespace clipsearch::server
