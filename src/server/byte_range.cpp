#include "server/byte_range.h"

#include <cerrno>
#include <cstdint>
#include <cstdlib>

namespace clipsearch::server {
namespace {

// Decimal digits only, fitting int64.
std::optional<int64_t> number(const std::string& text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  return std::strtoll(text.c_str(), nullptr, 10);
}

}  // namespace

RangeAnswer parse_byte_range(const std::string* header, int64_t size, ByteRange* range) {
  if (header == nullptr || header->rfind("bytes=", 0) != 0) return RangeAnswer::kWhole;
  const std::string spec = header->substr(6);
  const size_t dash = spec.find('-');
  if (dash == std::string::npos || spec.find(',') != std::string::npos) return RangeAnswer::kWhole;
  const std::string a = spec.substr(0, dash), b = spec.substr(dash + 1);
  if (a.empty()) {  // "-N": the last N bytes
    const auto n = number(b);
    if (!n) return RangeAnswer::kWhole;
    if (*n == 0 || size == 0) return RangeAnswer::kUnsatisfiable;
    range->length = std::min(*n, size);
    range->first = size - range->length;
    return RangeAnswer::kPartial;
  }
  const auto first = number(a);
  const auto last = b.empty() ? std::optional<int64_t>(INT64_MAX) : number(b);
  if (!first || !last || *last < *first) return RangeAnswer::kWhole;
  if (*first >= size) return RangeAnswer::kUnsatisfiable;
  range->first = *first;
  range->length = std::min(*last, size - 1) - *first + 1;
  return RangeAnswer::kPartial;
}

}  // namespace clipsearch::server
