// What transformers' GemmaTokenizerFast (transformers 4.50) takes from a model folder besides
// tokenizer.json: tokenizer_config.json and special_tokens_map.json.
//
// ref: PreTrainedTokenizerBase.from_pretrained / _from_pretrained (tokenizer_config.json as the
// init kwargs, special_tokens_map.json's tokens over them, GemmaTokenizerFast.__init__'s defaults
// for what neither names), PreTrainedTokenizerFast.__init__ (added_tokens_decoder entries and
// special tokens that tokenizer.json lacks are added), GemmaTokenizerFast.update_post_processor
// (the post-processor is rebuilt from add_bos_token / add_eos_token: "<bos> $A <eos>" with each
// part optional), padding_side (GemmaTokenizerFast's class default "left").
// Keys that would change the ids in a way not reproduced are refused with an error naming the
// file and key; the other keys (decoding options, sp_model_kwargs, ...) do not affect the ids.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "clipsearch/status.h"
#include "text/added_vocabulary.h"

namespace clipsearch::text {

struct GemmaTokenizerConfig {
  // Tokens transformers adds to the tokenizer on loading, in its order, each with where it came
  // from (for errors): added_tokens_decoder's, then the special tokens.
  std::vector<std::pair<AddedTokenSpec, std::string>> added;
  // The special tokens' contents; empty: null (no such token).
  std::string bos = "<bos>", eos = "<eos>", pad = "<pad>", unk = "<unk>";
  std::string bos_source, eos_source, pad_source;  // file: key, or the class default, for errors
  bool add_bos = true;                             // GemmaTokenizerFast's defaults
  bool add_eos = false;
  bool pad_left = true;          // padding_side "left"
  int64_t model_max_length = 0;  // 0: absent or not an integer
};

// Reads the two files of `dir` when they are there. `padding` is tokenizer.json's "padding"
// (null, or its direction and pad_token, which transformers takes as defaults under the files').
struct TokenizerJsonPadding {
  bool present = false;
  bool left = false;
  std::string pad_token;
};
Result<GemmaTokenizerConfig> read_gemma_tokenizer_config(const std::string& dir,
                                                         const TokenizerJsonPadding& padding);

}  // namespace clipsearch::text
