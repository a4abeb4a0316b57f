// PrecompiledCharsmap: SentencePiece's normalization rules as tokenizers' "Precompiled"
// normalizer carries them (tokenizer.json: normalizer.precompiled_charsmap, base64).
//
// The blob is what sentencepiece serializes into a model's normalizer_spec: a little-endian
// uint32 byte size of a darts-clone double-array trie, the trie's uint32 units, then the
// replacement strings, each ended by a NUL byte. A trie key is the UTF-8 of a character or a
// sequence; its value is the byte offset of its replacement. parse() checks every reachable
// unit and value, so lookups never leave the blob.
//
// normalize() applies the rules as tokenizers 0.13 does (ref: tokenizers
// normalizers/precompiled.rs with spm_precompiled 0.1): per extended grapheme cluster, a cluster
// of fewer than 6 UTF-8 bytes whose bytes start with a key is replaced whole by that key's
// replacement (the shortest key that prefixes it, even when the cluster is longer than the key:
// "ﬁ" + U+0301 becomes "fi"); otherwise each character is looked up alone. Immutable after
// parse(); const calls are thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "clipsearch/status.h"

namespace clipsearch::text {

// Standard base64 (RFC 4648, '+' '/', '=' padding) to bytes; nullopt on any other character or
// a bad length or padding.
std::optional<std::string> base64_decode(std::string_view text);

class PrecompiledCharsmap {
 public:
  // `blob`: the decoded precompiled_charsmap. `what` names it in errors (file and key).
  static Result<PrecompiledCharsmap> parse(std::string_view blob, const std::string& what);

  // The replacement of the shortest key that prefixes `chunk` (stopping at a NUL byte), or
  // nullopt when no key does. ref: spm_precompiled Precompiled::transform.
  std::optional<std::string_view> transform(std::string_view chunk) const;

  // The longest key that prefixes `text` as (its length in bytes, its replacement), or nullopt.
  // A byte 0 never matches (in darts-clone the label-0 slot holds a value or is unused).
  // ref: sentencepiece normalizer.cc Normalizer::NormalizePrefix (commonPrefixSearch, longest).
  std::optional<std::pair<size_t, std::string_view>> longest_prefix(std::string_view text) const;

  // Appends the normalization of `text` (valid UTF-8) to *out.
  void normalize(std::string_view text, std::string* out) const;

 private:
  std::vector<uint32_t> units_;  // the double array
  std::string replacements_;     // NUL-ended replacement strings
};

}  // namespace clipsearch::text
