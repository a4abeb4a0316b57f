// Pre-tokenization: splitting normalized text into the words that BPE encodes.
//
// ref: the CLIP pattern  's|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+  (open_clip's
// SimpleTokenizer.pat and transformers' CLIPConverter Split), scanned left to right like
// re.findall; whitespace between matches is dropped. Literal special tokens are cut out first:
// split_special_tokens() does it as tokenizers' AddedVocabulary does (leftmost-longest, before
// the pattern), while the open_clip flavour tries them as the pattern's first alternatives.
// Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "text/unicode.h"
#include "text/vocabulary.h"

namespace clipsearch::text {

struct Piece {
  uint32_t begin = 0;  // code point offsets into the text
  uint32_t end = 0;
  int32_t special_id = -1;  // >= 0: a literal special token with this id
};

// Cuts the specials whose `normalized` flag equals `normalized` out of `text`, leftmost-longest
// first. Appends the special tokens and the text between them (possibly empty: skipped) to
// *out, with offsets shifted by `offset`.
void split_special_tokens(std::u32string_view text, const std::vector<SpecialToken>& specials,
                          bool normalized, uint32_t offset, std::vector<Piece>* out);

// Appends the matches of the CLIP pattern in `text` to *out (offsets shifted by `offset`).
// With `specials` (open_clip flavour), each special token is tried first at every match start,
// ignoring case as open_clip's re.IGNORECASE does.
void clip_pre_tokenize(std::u32string_view text, UnicodeFlavor flavor,
                       const std::vector<SpecialToken>* specials, uint32_t offset,
                       std::vector<Piece>* out);

}  // namespace clipsearch::text
