// SentencePieceNormalizer: the text normalization of the sentencepiece library itself (ref:
// sentencepiece normalizer.cc Normalizer::Normalize and NormalizePrefix), which the slow
// SentencePiece-based transformers tokenizers (SiglipTokenizer) run. It differs from tokenizers'
// "Precompiled" normalizer (precompiled_charsmap.h: per grapheme cluster) in how it applies the
// same charsmap: at each position the longest rule wins, over any characters.
//
// At each position: a user-defined symbol (the longest) is copied as it is; else the longest
// charsmap key is replaced; else one character is copied. Then, as the spec says:
// remove_extra_whitespaces drops leading spaces, spaces right after a space and trailing U+2581
// (a literal U+2581 in the input too); escape_whitespaces writes each space as U+2581;
// add_dummy_prefix puts U+2581 first (last with treat_whitespace_as_suffix). The input is valid
// UTF-8 (the facade has replaced ill-formed bytes). Immutable; const calls are thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "text/precompiled_charsmap.h"
#include "text/spiece_model.h"

namespace clipsearch::text {

class SentencePieceNormalizer {
 public:
  // `charsmap`: the parsed normalizer_spec.precompiled_charsmap, or none when it is empty.
  SentencePieceNormalizer(const SpieceModel::Normalizer& spec, bool treat_whitespace_as_suffix,
                          std::optional<PrecompiledCharsmap> charsmap,
                          const std::vector<std::string>& user_defined_symbols);

  // Replaces *out with the normalization of `input`.
  void normalize(std::string_view input, std::string* out) const;

 private:
  // The normalized form of the prefix of `input` and how many bytes of input it consumes.
  std::pair<std::string_view, size_t> normalize_prefix(std::string_view input) const;

  SpieceModel::Normalizer spec_;
  bool treat_whitespace_as_suffix_ = false;
  std::optional<PrecompiledCharsmap> charsmap_;
  std::vector<std::vector<std::string>> user_defined_;  // [first byte] symbols
};

}  // namespace clipsearch::text
