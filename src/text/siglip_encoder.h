// SiglipEncoder: transformers 4.37.2's SiglipTokenizer, the slow SentencePiece-based tokenizer of
// the google/siglip-* checkpoints, as SiglipProcessor calls it (padding="max_length",
// max_length=64, truncation=True; docs/TOKENIZER.md, "SigLIP").
//
// The pipeline (ref: tokenization_siglip.py SiglipTokenizer.tokenize/_tokenize and
// tokenization_utils.py PreTrainedTokenizer.tokenize):
//  1. U+2581 in the text becomes a space and one U+2581 is put first;
//  2. do_lower_case: every character lowercased alone (Python str.lower of one character, so Σ
//     is σ), except where a special token starts (kept as written), and "\n";
//  3. the added tokens are cut out, leftmost-longest; a token with rstrip takes the Python
//     whitespace at the start of the stretch after it, lstrip at the end of the one before;
//  4. each stretch: canonicalize_text (ASCII punctuation removed, every \s+ run to one space,
//     stripped), then sentencepiece encodes unk_token + stretch and the pieces of unk_token
//     alone are dropped (the model has add_dummy_prefix off);
//  5. a first piece "▁" followed by a special token is dropped;
//  6. pieces become ids (added tokens first, then sentencepiece's piece_to_id).
// The facade then truncates to the context length minus one, appends </s> unless the ids end
// with it (T5's _add_eos_if_not_present) and pads with pad_token. Not thread-safe (scratch).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "clipsearch/status.h"
#include "text/siglip_vocab.h"
#include "text/token_encoder.h"

namespace clipsearch::text {

class SiglipEncoder final : public TokenEncoder {
 public:
  explicit SiglipEncoder(SiglipVocab vocab);

  void encode(const std::u32string& text, size_t limit, std::vector<int32_t>* ids) override;
  int32_t start_id() const override { return -1; }
  int32_t end_id() const override { return vocab_.eos_id; }
  size_t vocab_size() const override { return vocab_.sp.size(); }
  Framing framing() const override;
  int default_context_length() const { return vocab_.default_context_length; }

 private:
  struct Chunk {
    std::u32string text;
    int added = -1;  // index into vocab_.added, or -1 for text
  };
  std::u32string lowercase(const std::u32string& text) const;
  void split_added(const std::u32string& text, std::vector<Chunk>* chunks) const;
  // SiglipTokenizer._tokenize: appends the pieces of one stretch.
  void tokenize_stretch(const std::u32string& text, std::vector<std::string>* tokens);
  int32_t token_to_id(const std::string& token) const;

  SiglipVocab vocab_;
  size_t unk_token_length_ = 0;  // pieces of unk_token alone
  std::string unk_utf8_;
  std::vector<std::string> special_utf8_;  // all_special_tokens
  std::vector<std::string> added_utf8_;    // [vocab_.added] contents
  // Scratch reused between calls.
  std::vector<SentencePieceProcessor::Piece> pieces_;
};

}  // namespace clipsearch::text
