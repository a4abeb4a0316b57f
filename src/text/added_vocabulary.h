// AddedVocabulary: the tokens that tokenizers matches literally in the text before its model sees
// it (ref: tokenizers 0.21 tokenizer/added_vocabulary.rs): special tokens such as <bos>, <eos>,
// <start_of_turn>, and the user-defined pieces of a SentencePiece model.
//
// A token flagged `normalized` is matched in the normalized text (its own content normalized the
// same way); the others in the raw text, before normalization. Matching is leftmost-longest;
// lstrip/rstrip take the White_Space next to a match with it. A token's id is its id in the
// model's vocabulary, else the next id past the vocabulary and the added tokens so far
// (AddedVocabulary::add_tokens); adding a content again changes only its strip flags.
// Immutable after finish(); split() is thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "clipsearch/status.h"

namespace clipsearch::text {

struct AddedTokenSpec {
  std::string content;
  bool special = false;
  bool normalized = false;
  bool lstrip = false, rstrip = false, single_word = false;
};

class AddedVocabulary {
 public:
  // `model_id(token)`: the model's id of a token or -1; `model_size`: its vocabulary size.
  AddedVocabulary(std::function<int32_t(std::string_view)> model_id, size_t model_size)
      : model_id_(std::move(model_id)), next_id_(static_cast<int32_t>(model_size)) {}

  // Adds a token (an empty content is ignored). single_word is refused: `what` names it.
  Status add(const AddedTokenSpec& spec, const std::string& what);

  // The id of an added token, else the model's, else -1 (ref: AddedVocabulary::token_to_id).
  int32_t token_id(std::string_view content) const;

  // Normalizes the contents of the `normalized` tokens and builds the lookup by first byte.
  void finish(const std::function<std::string(std::string_view)>& normalize);

  // Splits `text` around the tokens of one kind (`normalized`): calls on_token(id) for each
  // match and on_text(stretch) for each non-empty stretch between them, in order; stops as soon
  // as one returns false, and then returns false.
  bool split(std::string_view text, bool normalized, const std::function<bool(int32_t)>& on_token,
             const std::function<bool(std::string_view)>& on_text) const;

  size_t vocab_size() const { return static_cast<size_t>(next_id_); }

 private:
  struct Token {
    std::string name;     // as added
    std::string content;  // as matched: normalized when `normalized`
    int32_t id = -1;
    bool normalized = false;
    bool lstrip = false, rstrip = false;
  };
  std::function<int32_t(std::string_view)> model_id_;
  int32_t next_id_;
  std::vector<Token> tokens_;
  std::array<std::vector<uint32_t>, 256> by_first_byte_;  // indexes into tokens_
};

}  // namespace clipsearch::text
