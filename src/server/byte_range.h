// HTTP Range requests on a file (RFC 9110, section 14): what browsers send to seek in a video.
// One range per request is served (a list of several gets the whole file, which the RFC allows).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace clipsearch::server {

struct ByteRange {
  int64_t first = 0;  // offset of the first byte
  int64_t length = 0;
};

enum class RangeAnswer { kWhole, kPartial, kUnsatisfiable };

// `header`: the Range header's value (null: none); `size`: the file's. kPartial fills `range`.
// A header that is not a single "bytes=" range is ignored (kWhole), as the RFC allows.
RangeAnswer parse_byte_range(const std::string* header, int64_t size, ByteRange* range);

}  // namespace clipsearch::server
