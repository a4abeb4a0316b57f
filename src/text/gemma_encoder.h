// GemmaEncoder: a SentencePiece-BPE tokenizer.json with byte fallback, read as transformers'
// GemmaTokenizerFast reads it (transformers 4.50, tokenizers 0.21; the tokenizer of the SigLIP 2
// checkpoints; docs/TOKENIZER.md, "Gemma / SigLIP 2").
//
// The pipeline, in tokenizers' order (ref: tokenizers TokenizerImpl::encode_single_sequence):
//  1. added tokens whose `normalized` flag is false (<bos>, <eos>, <start_of_turn>, ...) are cut
//     out of the raw text (added_vocabulary.h);
//  2. each remaining stretch is normalized: Replace of a literal string (Gemma: " " -> U+2581),
//     Prepend, or a Sequence of them;
//  3. added tokens whose `normalized` flag is true are cut out of the normalized text;
//  4. pre-tokenizer: none, or Split on a literal string (Gemma's Split(" ", MergedWithPrevious),
//     which finds no space once the normalizer has replaced them);
//  5. each piece goes through the BPE model (bpe_model.h: byte fallback, unknown tokens).
// tokenizer.json's post_processor is not read: GemmaTokenizerFast rebuilds it from
// tokenizer_config.json (gemma_tokenizer_config.h), and framing() says what it puts around the
// ids: <bos> when add_bos_token, <eos> when add_eos_token, padding to the context length with
// <pad>, on the left unless padding_side is "right". Anything else in tokenizer.json that would
// change the ids is refused at load with an error naming the file and key.
// Immutable after load apart from scratch buffers: encode() is not thread-safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "clipsearch/status.h"
#include "text/added_vocabulary.h"
#include "text/bpe_model.h"
#include "text/token_encoder.h"

namespace clipsearch::text {

class GemmaEncoder final : public TokenEncoder {
 public:
  // `text`: the bytes of tokenizer.json (named `path` in errors) in the folder `dir`, whose
  // tokenizer_config.json and special_tokens_map.json are read when there.
  static Result<std::unique_ptr<GemmaEncoder>> load(const std::string& dir, const std::string& path,
                                                    std::string_view text);

  void encode(const std::u32string& text, size_t limit, std::vector<int32_t>* ids) override;
  int32_t start_id() const override { return framing_.start.value_or(-1); }
  int32_t end_id() const override { return framing_.end.value_or(-1); }
  size_t vocab_size() const override { return added_->vocab_size(); }
  Framing framing() const override { return framing_; }
  // tokenizer_config.json's model_max_length when it is a usable context length, else 0.
  int model_max_length() const { return model_max_length_; }

  struct NormalizerStep {
    enum class Kind { kReplace, kPrepend } kind;
    std::string pattern;  // kReplace: a literal string
    std::string content;  // what replaces it, or what is prepended
  };
  enum class SplitBehavior {
    kRemoved,
    kIsolated,
    kMergedWithPrevious,
    kMergedWithNext,
    kContiguous
  };

 private:
  explicit GemmaEncoder(BpeModel model) : model_(std::move(model)) {}

  std::string normalize(std::string_view text) const;
  bool encode_piece(std::string_view piece, size_t limit, std::vector<int32_t>* ids);

  BpeModel model_;
  std::unique_ptr<AddedVocabulary> added_;
  std::vector<NormalizerStep> normalizer_;
  bool split_ = false;  // the pre-tokenizer: Split on split_pattern_, or none
  std::string split_pattern_;
  SplitBehavior split_behavior_ = SplitBehavior::kMergedWithPrevious;
  Framing framing_;
  int model_max_length_ = 0;
  std::string utf8_, normalized_;  // scratch
};

}  // namespace clipsearch::text
