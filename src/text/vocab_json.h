// A small reader for the two JSON shapes the tokenizer loads on every start: vocab.json (one
// flat object of token -> id, about 1.6 MB) and the "added_tokens" array of tokenizer.json
// (a file that also repeats the whole vocabulary and merge list). A general JSON parser
// building a DOM took most of the 50 ms load budget; this one reads the flat object in a
// single pass and only cuts the small array out of tokenizer.json. Pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "clipsearch/status.h"

namespace clipsearch::text {

// Parses {"token": id, ...} (ids: non-negative integers). `path` names the file in errors.
Result<std::vector<std::pair<std::string, int64_t>>> parse_vocab_json(std::string_view text,
                                                                      const std::string& path);

// The text of the JSON array that follows the top-level-looking key `key` ("added_tokens"),
// or an empty view when there is none.
std::string_view find_json_array(std::string_view text, std::string_view key);

}  // namespace clipsearch::text
