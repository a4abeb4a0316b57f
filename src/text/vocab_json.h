// A small reader for the JSON shapes the tokenizer loads on every start: vocab.json (one flat
// object of token -> id, about 1.6 MB), the "added_tokens" array of tokenizer.json (a file that
// also repeats the whole vocabulary and merge list), and a BPE tokenizer.json's members (Gemma's:
// 256,000 tokens and ~500,000 merges, tens of MB). A general JSON parser building a DOM took most
// of the 50 ms load budget for CLIP and about a second for Gemma; this one reads the flat object
// and the merge list in a single pass each and only cuts the small members out for a DOM parser.
// Pure functions.
#pragma once

#include <cstdint>
#include <functional>
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

// A member of a JSON object: its key and the raw text of its value.
struct JsonMember {
  std::string key;
  std::string_view value;
};

// The members of the JSON object `text`, in file order. Values are only checked to be balanced
// (strings closed, brackets matched); parse them further as needed. `path` names the file (and
// `where` the object, e.g. "model") in errors.
Result<std::vector<JsonMember>> split_json_object(std::string_view text, const std::string& path,
                                                  const std::string& where = "");

// The raw text of member `key` of the object `text`, or an empty view when there is none; reads
// no further than that member (the members before it are checked as split_json_object does).
Result<std::string_view> find_json_member(std::string_view text, std::string_view key,
                                          const std::string& path, const std::string& where = "");

// Calls on_merge(index, left, right) for each entry of a tokenizers BPE "merges" array, in
// order: either ["left right", ...] (tokenizers < 0.20) or [["left", "right"], ...]. Stops at
// the first error, on_merge's included.
Status for_each_merge(
    std::string_view text, const std::string& path,
    const std::function<Status(size_t, std::string_view, std::string_view)>& on_merge);

}  // namespace clipsearch::text
