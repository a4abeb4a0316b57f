// TokenEncoder: one tokenizer family's pipeline from text to the ids between the start and end
// tokens (DESIGN.md, "tokenizers as a family"). The Tokenizer facade (clipsearch/tokenizer.h)
// owns one, adds the start and end tokens and truncates; each family reproduces its reference's
// normalization, pre-tokenization and model:
//  - ClipBpeEncoder (clip_bpe_encoder.h): CLIP's byte-level BPE, transformers or open_clip.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace clipsearch::text {

class TokenEncoder {
 public:
  virtual ~TokenEncoder() = default;

  // Appends the ids of `text` (code points; invalid UTF-8 already replaced with U+FFFD) to
  // `ids`. May stop early once ids->size() reaches `limit`: the facade truncates to `limit`.
  // Not thread-safe (an encoder may keep caches and scratch buffers).
  virtual void encode(const std::u32string& text, size_t limit, std::vector<int32_t>* ids) = 0;

  virtual int32_t start_id() const = 0;  // put before the text's ids ([CLS], <s>, <|startoftext|>)
  virtual int32_t end_id() const = 0;    // put after them ([SEP], </s>, <|endoftext|>)
  virtual size_t vocab_size() const = 0;
};

}  // namespace clipsearch::text
