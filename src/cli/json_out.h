// Writing JSON Lines to stdout without building a DOM: embeddings are long float arrays and are
// printed in the shortest form that reads back to the same float.
#pragma once

#include <cstdint>
#include <string>

namespace clipsearch::cli {

// `text` as a JSON string literal, quotes included.
std::string json_string(const std::string& text);
// "[f0, f1, ...]", each float in its shortest round-trip form.
std::string json_float_array(const float* values, int64_t count);

}  // namespace clipsearch::cli
