#include "server/client_address.h"

#include <arpa/inet.h>

#include <cstring>

namespace clipsearch::server {

namespace {

// An address as 4 (IPv4, also from ::ffff:a.b.c.d) or 16 bytes; false when it is not one.
bool parse_address(const std::string& text, bool* v4, std::array<uint8_t, 16>* bytes) {
  bytes->fill(0);
  in_addr a4{};
  if (inet_pton(AF_INET, text.c_str(), &a4) == 1) {
    *v4 = true;
    std::memcpy(bytes->data(), &a4, 4);
    return true;
  }
  in6_addr a6{};
  if (inet_pton(AF_INET6, text.c_str(), &a6) != 1) return false;
  static const uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(a6.s6_addr, kMapped, 12) == 0) {
    *v4 = true;
    std::memcpy(bytes->data(), a6.s6_addr + 12, 4);
    return true;
  }
  *v4 = false;
  std::memcpy(bytes->data(), a6.s6_addr, 16);
  return true;
}

bool same_prefix(const std::array<uint8_t, 16>& a, const std::array<uint8_t, 16>& b, int bits) {
  const int whole = bits / 8;
  if (std::memcmp(a.data(), b.data(), static_cast<size_t>(whole)) != 0) return false;
  const int rest = bits % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (a[whole] & mask) == (b[whole] & mask);
}

std::string trim_spaces(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

}  // namespace

bool is_trusted_proxy(const std::string& address, const std::vector<AddressRange>& proxies) {
  for (const AddressRange& r : proxies) {
    if (r.contains(address)) return true;
  }
  return false;
}

Result<AddressRange> AddressRange::parse(const std::string& text) {
  const size_t slash = text.find('/');
  const std::string address = text.substr(0, slash);
  AddressRange r;
  if (!parse_address(address, &r.v4, &r.bytes)) {
    return Status::invalid_argument("'" + text +
                                    "' is not an IP address or range (e.g. 10.0.0.5, "
                                    "10.0.0.0/8, fd00::/8)");
  }
  const int max_bits = r.v4 ? 32 : 128;
  r.prefix_bits = max_bits;
  if (slash != std::string::npos) {
    const std::string bits = text.substr(slash + 1);
    char* end = nullptr;
    const long n = std::strtol(bits.c_str(), &end, 10);
    if (bits.empty() || *end != '\0' || n < 0 || n > max_bits) {
      return Status::invalid_argument("'" + text + "': the prefix length must be 0.." +
                                      std::to_string(max_bits));
    }
    r.prefix_bits = static_cast<int>(n);
  }
  return r;
}

bool AddressRange::contains(const std::string& address) const {
  bool is_v4 = false;
  std::array<uint8_t, 16> b{};
  if (!parse_address(address, &is_v4, &b) || is_v4 != v4) return false;
  return same_prefix(bytes, b, prefix_bits);
}

Result<std::vector<AddressRange>> parse_address_ranges(const std::vector<std::string>& texts) {
  std::vector<AddressRange> out;
  for (const std::string& t : texts) {
    Result<AddressRange> r = AddressRange::parse(t);
    if (!r.ok()) return r.status();
    out.push_back(*r);
  }
  return out;
}

std::string forwarded_client(const std::string& peer, const std::string* x_forwarded_for,
                             const std::vector<AddressRange>& trusted_proxies) {
  if (x_forwarded_for == nullptr || !is_trusted_proxy(peer, trusted_proxies)) return peer;
  std::string client = peer;
  const std::string& list = *x_forwarded_for;
  size_t end = list.size();
  while (true) {
    const size_t comma = end == 0 ? std::string::npos : list.rfind(',', end - 1);
    const size_t begin = comma == std::string::npos ? 0 : comma + 1;
    const std::string entry = trim_spaces(list.substr(begin, end - begin));
    bool v4 = false;
    std::array<uint8_t, 16> bytes{};
    if (!parse_address(entry, &v4, &bytes)) return client;
    client = entry;
    if (!is_trusted_proxy(entry, trusted_proxies) || comma == std::string::npos) return client;
    end = comma;
  }
}

std::string address_cap_key(const std::string& address) {
  bool v4 = false;
  std::array<uint8_t, 16> bytes{};
  if (!parse_address(address, &v4, &bytes)) return address;
  char buf[INET6_ADDRSTRLEN] = {0};
  if (v4) {
    inet_ntop(AF_INET, bytes.data(), buf, sizeof buf);
    return buf;
  }
  std::fill(bytes.begin() + 8, bytes.end(), 0);
  inet_ntop(AF_INET6, bytes.data(), buf, sizeof buf);
  return std::string(buf) + "/64";
}

}  // namespace clipsearch::server
