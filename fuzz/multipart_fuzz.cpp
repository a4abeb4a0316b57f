// libFuzzer target for the multipart/form-data parser of uploads. The input's first line is the
// Content-Type header, the rest the body. Any input must give parts or an error; never a crash,
// a hang or an out-of-bounds read, and every part must respect the limits.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "server/multipart.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t eol = input.find('\n');
  if (eol == std::string_view::npos) return 0;
  auto boundary = clipsearch::server::multipart_boundary(std::string(input.substr(0, eol)));
  if (!boundary.ok()) return 0;
  clipsearch::server::MultipartLimits limits;
  limits.max_parts = 8;
  limits.max_part_bytes = 4096;
  limits.max_part_header_bytes = 512;
  auto parts = clipsearch::server::multipart_parse(input.substr(eol + 1), *boundary, limits);
  if (parts.ok()) {
    if (parts->size() > limits.max_parts) __builtin_trap();
    for (const auto& p : *parts) {
      if (p.data.size() > limits.max_part_bytes || p.name.empty()) __builtin_trap();
    }
  }
  return 0;
}
