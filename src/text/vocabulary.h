// Vocabulary: the token strings, ids, merge rules and special tokens of a CLIP BPE model.
//
// Two layouts are read: Hugging Face's (vocab.json + merges.txt, with special tokens named by
// special_tokens_map.json / tokenizer_config.json and matching rules from tokenizer.json when
// present) and open_clip's (bpe_simple_vocab_16e6.txt.gz, the vocabulary being derived from the
// merge list exactly as open_clip's SimpleTokenizer derives it). Token strings are in the
// byte-level alphabet (every byte has a printable stand-in character). Immutable once loaded.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "clipsearch/status.h"
#include "text/hash_tables.h"

namespace clipsearch::text {

// A token matched literally in the input text instead of going through BPE.
struct SpecialToken {
  std::u32string content;
  int32_t id = -1;
  // true: matched in the normalized text (after NFC and lowercasing); false: in the raw text.
  // ref: tokenizers' AddedToken.normalized.
  bool normalized = true;
};

struct Vocabulary {
  enum class Layout { kHuggingFace, kOpenClip };
  Layout layout = Layout::kHuggingFace;
  std::string source;  // the file the tokens came from, for messages

  TokenIndex token_to_id;
  std::vector<std::string> id_to_token;
  MergeTable merges;
  // Id of the byte-level symbol of each byte, alone and with the end-of-word suffix "</w>".
  std::array<int32_t, 256> byte_ids{};
  std::array<int32_t, 256> byte_end_ids{};

  std::vector<SpecialToken> specials;
  int32_t start_id = -1;  // the start-of-text token (bos)
  int32_t end_id = -1;    // the end-of-text token (eos)
};

// The printable character that byte-level BPE uses for byte `b`.
// ref: GPT-2's bytes_to_unicode(), which CLIP's tokenizers share.
char32_t byte_to_unicode(uint8_t b);

// Loads the vocabulary of `model_dir`: vocab.json + merges.txt if present, else
// bpe_simple_vocab_16e6.txt.gz. `model_dir` may also name a .txt.gz file directly.
Result<Vocabulary> load_vocabulary(const std::string& model_dir);

}  // namespace clipsearch::text
