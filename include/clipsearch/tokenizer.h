// Tokenizer: CLIP's byte-level BPE tokenizer, giving the same token ids as the Python
// reference for every input string.
//
// Two reference behaviours are reproduced (docs/TOKENIZER.md lists their differences):
//  - kTransformers: transformers' CLIPTokenizerFast (tokenizers 0.13): NFC, whitespace runs to
//    one space, lowercase, the CLIP pre-tokenizer pattern, byte-level BPE.
//  - kOpenClip: open_clip's SimpleTokenizer: ftfy-style text fixes, HTML entities unescaped,
//    whitespace cleaned, Python lowercase, the same pattern and BPE.
// and, for Chinese-CLIP, BERT's WordPiece (kWordPiece: transformers' BertTokenizerFast, vocab.txt;
// [CLS] and [SEP] are its start and end tokens).
// A Hugging Face tokenizer of another family (kUnigram) in an open_clip model folder
// (open_clip_config.json present: open_clip's XLM-R CLIPs) is given open_clip's HFTokenizer
// cleaning first: ftfy, HTML entities, whitespace, no lowercasing, or what
// model_cfg.text_cfg.tokenizer_kwargs.clean names ("whitespace", "lower", "canonicalize").
// And, for SigLIP 2, Gemma's SentencePiece BPE with byte fallback (kGemma: transformers'
// GemmaTokenizerFast from tokenizer.json), the text lower-cased first (Python's str.lower()) in a
// SigLIP folder (config.json model_type "siglip" or "siglip2"), as SigLIP 2 was trained.
// Every text becomes [start-of-text, tokens..., end-of-text], truncated to the context length
// with end-of-text kept last; no padding, except where the family says otherwise (kGemma: <bos>
// and <eos> as tokenizer_config.json's add_bos_token / add_eos_token say, padded to the context
// length with <pad>, on the side its padding_side names). Special tokens are looked up in the
// vocabulary. SigLIP (kSiglip: transformers' SiglipTokenizer, spiece.model): no start token,
// </s> last (not repeated when the text's ids already end with it), padded with pad_token to
// the context length (64), as SiglipProcessor's padding="max_length" gives its text tower.
//
// Invalid UTF-8 never fails: ill-formed sequences become U+FFFD and the Encoding carries a
// warning for the caller to show. A Tokenizer owns its vocabulary and a cache of the words it
// has seen; encode() mutates the cache, so one Tokenizer must not be used by two threads at
// once (load one per thread, or guard it). Movable, not copyable.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "clipsearch/export.h"
#include "clipsearch/status.h"

namespace clipsearch {

enum class TokenizerFlavor {
  kAuto,          // kOpenClip for an open_clip model folder (open_clip_config.json or only
                  // bpe_simple_vocab_16e6.txt.gz), kWordPiece for a BERT one (vocab.txt
                  // without vocab.json, config.json model_type "chinese_clip", or a Bert
                  // tokenizer_class), kUnigram for a folder whose tokenizer.json (without
                  // vocab.json) has model.type "Unigram", kTransformers otherwise
  kTransformers,  // transformers CLIPTokenizerFast
  kOpenClip,      // open_clip SimpleTokenizer (its text cleaning on)
  kUnigram,       // transformers XLMRobertaTokenizerFast / any Unigram tokenizer.json (after
                  // open_clip's HFTokenizer cleaning in an open_clip folder)
  kWordPiece,     // transformers BertTokenizerFast (BERT WordPiece: Chinese-CLIP)
  kGemma,         // transformers GemmaTokenizerFast: a SentencePiece-BPE tokenizer.json with byte
                  // fallback (SigLIP 2; lower-cased first in a SigLIP folder)
  kSiglip,        // transformers 4.37 SiglipTokenizer (slow, sentencepiece; spiece.model): picked
                  // by kAuto when spiece.model is there and tokenizer_config.json's
                  // tokenizer_class is "SiglipTokenizer", or names none while config.json's
                  // model_type is "siglip" and there is no tokenizer.json
};

struct TokenizerOptions {
  TokenizerFlavor flavor = TokenizerFlavor::kAuto;
  // Maximum ids per text, start and end tokens included; >= 2. 0: the model folder's
  // config.json text_config.max_position_embeddings (or open_clip_config.json
  // model_cfg.text_cfg.context_length; for kWordPiece then tokenizer_config.json
  // model_max_length), else 77. kGemma and kSiglip: config.json
  // text_config.max_position_embeddings, else 64 in a SigLIP folder, else tokenizer_config.json
  // model_max_length, else 64.
  int context_length = 0;
};

struct Encoding {
  std::vector<int32_t> ids;  // start token, text tokens, end token (kGemma: padding too)
  size_t invalid_utf8 = 0;   // ill-formed UTF-8 sequences replaced with U+FFFD
  std::string warning;       // empty, or a message about the replaced sequences
};

class CLIPSEARCH_EXPORT Tokenizer {
 public:
  // Loads the vocabulary of a model folder (vocab.json + merges.txt, or
  // bpe_simple_vocab_16e6.txt.gz; `model_dir` may also name that .gz file; vocab.txt or a
  // WordPiece tokenizer.json for kWordPiece; a Unigram tokenizer.json, docs/TOKENIZER.md
  // "Unigram"; a BPE tokenizer.json for kGemma, "Gemma / SigLIP 2"; spiece.model for kSiglip,
  // "SigLIP").
  static Result<Tokenizer> load(const std::string& model_dir, const TokenizerOptions& options = {});

  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;
  Tokenizer(const Tokenizer&) = delete;
  Tokenizer& operator=(const Tokenizer&) = delete;
  ~Tokenizer();

  Encoding encode(std::string_view text);
  std::vector<Encoding> encode_batch(const std::vector<std::string>& texts);

  TokenizerFlavor flavor() const;  // never kAuto
  int context_length() const;
  int32_t start_token_id() const;  // -1: the family puts no start token (SigLIP)
  int32_t end_token_id() const;    // -1: none
  size_t vocab_size() const;

 private:
  struct CLIPSEARCH_NO_EXPORT Impl;
  explicit Tokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace clipsearch
