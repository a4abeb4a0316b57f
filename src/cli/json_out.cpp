#include "cli/json_out.h"

#include <charconv>
#include <cmath>

#include <nlohmann/json.hpp>

namespace clipsearch::cli {

std::string json_string(const std::string& text) {
  // nlohmann escapes control characters and replaces invalid UTF-8 instead of throwing.
  return nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string json_float_array(const float* values, int64_t count) {
  std::string out = "[";
  out.reserve(static_cast<size_t>(count) * 14 + 2);
  char buffer[32];
  for (int64_t i = 0; i < count; ++i) {
    if (i) out += ", ";
    if (!std::isfinite(values[i])) {
      out += "null";  // JSON has no NaN or infinity
      continue;
    }
    auto result = std::to_chars(buffer, buffer + sizeof buffer, values[i]);
    out.append(buffer, result.ptr);
  }
  out += "]";
  return out;
}

}  // namespace clipsearch::cli
