// SiglipVocab: a SigLIP tokenizer folder as transformers 4.37.2's SiglipTokenizer.from_pretrained
// reads it (ref: tokenization_utils_base.py _from_pretrained, tokenization_utils.py
// PreTrainedTokenizer.__init__ and _add_tokens, tokenization_siglip.py SiglipTokenizer.__init__):
//  - spiece.model: the SentencePiece Unigram model (spiece_model.h), loaded with
//    add_dummy_prefix forced off (ref: SiglipTokenizer.get_spm_processor);
//  - tokenizer_config.json (optional): do_lower_case (default true), the special tokens
//    eos_token (default "</s>"), unk_token ("<unk>"), pad_token ("</s>"), any other special
//    token attribute and additional_special_tokens, added_tokens_decoder (id -> AddedToken with
//    its lstrip/rstrip/normalized/special flags), model_max_length, padding_side;
//  - special_tokens_map.json (optional): the special tokens, read only when tokenizer_config.json
//    has no added_tokens_decoder (transformers' legacy path).
// A special token given as a string is an AddedToken that strips the whitespace on both sides
// (eos, unk, pad: SiglipTokenizer.__init__) or neither (the others). Settings that would change
// the ids in a way not reproduced are refused naming the key (sp_model_kwargs,
// split_special_tokens, truncation_side "left", single_word tokens, added_tokens.json, a token
// missing from spiece.model, which transformers would give a new id past the vocabulary).
// Immutable once loaded, apart from the processor's scratch.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "clipsearch/status.h"
#include "text/sentencepiece_processor.h"

namespace clipsearch::text {

struct SiglipAddedToken {
  std::u32string content;
  int32_t id = -1;
  bool lstrip = false;  // takes the whitespace on its left
  bool rstrip = false;  // takes the whitespace on its right
  bool normalized = false;
  bool special = false;
};

struct SiglipVocab {
  SentencePieceProcessor sp;
  std::vector<SiglipAddedToken> added;         // cut out of the text, leftmost-longest
  std::vector<std::u32string> special_tokens;  // all_special_tokens, in transformers' order
  std::u32string unk_token;  // put before each stretch (SiglipTokenizer._tokenize)
  int32_t eos_id = -1;
  int32_t pad_id = -1;
  bool do_lower_case = true;
  bool pad_left = false;  // padding_side "left"
  // The context length when config.json has no text_config.max_position_embeddings: 64
  // (SiglipTextConfig's default) for a config.json of model_type "siglip", else
  // tokenizer_config.json's model_max_length, else 64 (SiglipTokenizer's default).
  int default_context_length = 64;
};

// true when kAuto should read `dir` as a SigLIP tokenizer: spiece.model is there, and
// tokenizer_config.json's tokenizer_class is "SiglipTokenizer", or it names no tokenizer_class,
// config.json's model_type is "siglip" and there is no tokenizer.json (a SigLIP 2 folder names
// GemmaTokenizer and ships tokenizer.json).
bool is_siglip_folder(const std::string& dir);

Result<SiglipVocab> load_siglip_vocab(const std::string& dir);

}  // namespace clipsearch::text
