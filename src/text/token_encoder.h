// TokenEncoder: one tokenizer family's pipeline from text to the ids between the start and end
// tokens (DESIGN.md, "tokenizers as a family"). The Tokenizer facade (clipsearch/tokenizer.h)
// owns one, adds the start and end tokens and truncates; each family reproduces its reference's
// normalization, pre-tokenization and model:
//  - ClipBpeEncoder (clip_bpe_encoder.h): CLIP's byte-level BPE, transformers or open_clip.
//  - SiglipEncoder (siglip_encoder.h): SigLIP's slow SentencePiece tokenizer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace clipsearch::text {

// What the facade puts around an encoder's ids: [start] ids... [end] [padding].
struct Framing {
  std::optional<int32_t> start;  // none: SigLIP's tokenizer adds no start token
  std::optional<int32_t> end;
  // No end token when the (truncated) ids already end with it (ref: T5's and SiglipTokenizer's
  // _add_eos_if_not_present).
  bool end_unless_last = false;
  // Pad every text to the context length with pad_id (SigLIP: its text tower has no attention
  // mask and pools the last position, so the padding is part of the input), on the left when
  // pad_left (tokenizer_config.json padding_side "left").
  bool pad_to_context = false;
  bool pad_left = false;
  int32_t pad_id = 0;
};

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
  // The start and end tokens around the ids, no padding, unless the family says otherwise.
  virtual Framing framing() const { return Framing{start_id(), end_id()}; }
};

}  // namespace clipsearch::text
