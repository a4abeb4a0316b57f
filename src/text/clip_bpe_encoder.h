// ClipBpeEncoder: CLIP's byte-level BPE pipeline (docs/TOKENIZER.md), in the flavour of one of
// its two references: transformers' CLIPTokenizerFast or open_clip's SimpleTokenizer.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "clipsearch/tokenizer.h"
#include "text/bpe.h"
#include "text/pre_tokenizer.h"
#include "text/token_encoder.h"
#include "text/vocabulary.h"

namespace clipsearch::text {

class ClipBpeEncoder final : public TokenEncoder {
 public:
  // `flavor`: kTransformers or kOpenClip.
  ClipBpeEncoder(Vocabulary vocab, TokenizerFlavor flavor);

  void encode(const std::u32string& text, size_t limit, std::vector<int32_t>* ids) override;
  int32_t start_id() const override { return vocab_.start_id; }
  int32_t end_id() const override { return vocab_.end_id; }
  size_t vocab_size() const override { return vocab_.id_to_token.size(); }

 private:
  bool emit(const std::u32string& buf, const std::vector<Piece>& word_pieces, size_t limit,
            std::vector<int32_t>* ids);
  void encode_transformers(const std::u32string& cps, size_t limit, std::vector<int32_t>* ids);
  void encode_open_clip(const std::u32string& cps, size_t limit, std::vector<int32_t>* ids);

  Vocabulary vocab_;
  TokenizerFlavor flavor_;
  std::unique_ptr<BpeEncoder> bpe_;
  // Scratch buffers reused between calls.
  std::vector<Piece> raw_pieces_, pieces_, words_;
  std::u32string normalized_;
  std::string word_utf8_;
};

}  // namespace clipsearch::text
