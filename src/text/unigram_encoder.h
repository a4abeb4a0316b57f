// UnigramEncoder: a SentencePiece Unigram tokenizer as a Hugging Face tokenizer.json describes
// it, reproducing transformers' XLMRobertaTokenizerFast (transformers 4.25, tokenizers 0.13;
// docs/TOKENIZER.md, "Unigram").
//
// The pipeline, in tokenizers' order (ref: tokenizers tokenizer/mod.rs encode_single_sequence):
//  1. added tokens whose `normalized` flag is false are cut out of the raw text (leftmost-longest,
//     lstrip/rstrip taking the White_Space next to them);
//  2. each remaining stretch is normalized: Precompiled (sentencepiece's charsmap, per grapheme
//     cluster), Replace (a literal string, or the regex " {2,}" that XLM-R uses);
//  3. added tokens whose `normalized` flag is true are cut out of the normalized text (their
//     contents normalized the same way); empty stretches are dropped;
//  4. Metaspace: spaces become U+2581, one is put before a stretch that does not start with it,
//     and the stretch is split before each U+2581;
//  5. each word goes through the Unigram model (unigram_model.h).
// The start and end tokens come from the post-processor (TemplateProcessing "<s> $A </s>",
// RobertaProcessing or BertProcessing). Other normalizer, pre-tokenizer, model or
// post-processor types are refused at load with an error naming the key.
//
// Added tokens are those of tokenizer.json plus the special tokens transformers adds when it
// loads the folder (special_tokens_map.json, else tokenizer_config.json, else the defaults of
// XLMRobertaTokenizerFast, whose <mask> given as a plain string strips the space on its left).
// Immutable after load apart from scratch buffers: encode() is not thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "clipsearch/status.h"
#include "text/added_vocabulary.h"
#include "text/precompiled_charsmap.h"
#include "text/token_encoder.h"
#include "text/unigram_model.h"

namespace clipsearch::text {

class UnigramEncoder final : public TokenEncoder {
 public:
  // `tokenizer_json`: the parsed tokenizer.json of the folder `dir` (named `path` in errors).
  // Reads special_tokens_map.json and tokenizer_config.json from `dir` when they are there.
  static Result<std::unique_ptr<UnigramEncoder>> load(const std::string& dir,
                                                      const std::string& path,
                                                      const nlohmann::json& tokenizer_json);

  void encode(const std::u32string& text, size_t limit, std::vector<int32_t>* ids) override;
  int32_t start_id() const override { return start_id_; }
  int32_t end_id() const override { return end_id_; }
  size_t vocab_size() const override { return added_->vocab_size(); }

  struct NormalizerStep {
    enum class Kind { kPrecompiled, kReplaceString, kReplaceSpaceRuns } kind;
    PrecompiledCharsmap charsmap;  // kPrecompiled
    std::string pattern;           // kReplaceString
    std::string content;           // kReplaceString, kReplaceSpaceRuns
  };

 private:
  explicit UnigramEncoder(UnigramModel model) : model_(std::move(model)) {}

  void normalize(std::string_view text, std::string* out) const;
  // Splits `text` around the added tokens of one kind (`normalized`); calls on_text(stretch)
  // for each non-empty stretch between them and pushes token ids. Returns false once `limit`
  // ids are reached.
  bool split_added(std::string_view text, bool normalized, size_t limit, std::vector<int32_t>* ids,
                   const std::function<bool(std::string_view)>& on_text) const;
  bool encode_normalized(std::string_view text, size_t limit, std::vector<int32_t>* ids);

  UnigramModel model_;
  std::vector<NormalizerStep> normalizer_;
  bool metaspace_ = false;
  std::string metaspace_replacement_;  // UTF-8 of one character
  bool add_prefix_space_ = true;
  std::unique_ptr<AddedVocabulary> added_;
  int32_t start_id_ = -1, end_id_ = -1;
  // Scratch reused between calls.
  std::string utf8_, normalized_, word_, tmp_;
  UnigramModel::Scratch scratch_;
};

}  // namespace clipsearch::text
