// Who a request comes from: the peer's address, or, when the peer is a reverse proxy the
// operator trusts, the client that proxy names in X-Forwarded-For; and the key under which the
// per-address connection cap counts it.
//
// Behind nginx or Caddy every connection comes from the proxy's address, so a per-address cap on
// the peer would punish every client at once, and an X-Forwarded-For sent straight to the server
// is whatever the client chose to write. The header is therefore read only on connections from a
// configured proxy, from its right end (the entry the nearest proxy appended) leftwards, skipping
// entries that are themselves trusted proxies; the first other address is the client.
// Pure functions; thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "clipsearch/status.h"

namespace clipsearch::server {

// An IPv4 or IPv6 address with a prefix length: "10.0.0.0/8", "fd00::/8", or one address
// ("192.0.2.1" is /32, "::1" is /128). IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) are held as
// IPv4, so a proxy configured as 127.0.0.1 matches a peer seen as ::ffff:127.0.0.1.
struct AddressRange {
  bool v4 = true;
  std::array<uint8_t, 16> bytes{};  // the first 4 for IPv4
  int prefix_bits = 32;

  static Result<AddressRange> parse(const std::string& text);
  bool contains(const std::string& address) const;
};

// Parses every entry; the error names the first bad one.
Result<std::vector<AddressRange>> parse_address_ranges(const std::vector<std::string>& texts);

// True when `address` is inside one of `proxies`.
bool is_trusted_proxy(const std::string& address, const std::vector<AddressRange>& proxies);

// The client of a request: `peer` itself unless it is inside one of `trusted_proxies`; then the
// right-most X-Forwarded-For entry outside them. When every entry is trusted, or the walk meets
// an entry that is not an IP address, the last trusted hop reached stands for the client.
std::string forwarded_client(const std::string& peer, const std::string* x_forwarded_for,
                             const std::vector<AddressRange>& trusted_proxies);

// The key the per-address cap counts under: an IPv4 address as is, an IPv6 address by its /64
// (one subscriber's usual allocation, so that one host cannot take 2^64 separate slots), written
// "2001:db8:1:2::/64". Text that is not an address is its own key.
std::string address_cap_key(const std::string& address);

}  // namespace clipsearch::server
