// WordPieceVocab: the vocabulary and settings of a BERT WordPiece tokenizer, as transformers'
// BertTokenizerFast.from_pretrained reads them from a model folder (Chinese-CLIP's layout):
//  - vocab.txt: one token per line, the id being the line number (0-based). Read as Python
//    reads it: UTF-8, lines ended by "\n", "\r\n" or "\r", nothing else stripped; a token that
//    appears twice has the id of its last line.
//  - tokenizer_config.json (optional): do_lower_case (default true), strip_accents (default
//    null: follows do_lower_case), tokenize_chinese_chars (default true), the special tokens'
//    names (unk_token, sep_token, pad_token, cls_token, mask_token, additional_special_tokens;
//    a string, or an AddedToken object), model_max_length, tokenizer_class.
//  - special_tokens_map.json (optional): special token names, overriding tokenizer_config.json.
//  - tokenizer.json (optional): when present, transformers builds the tokenizer from it instead
//    of vocab.txt: the WordPiece model's vocab, unk_token, continuing_subword_prefix and
//    max_input_chars_per_word, the BertNormalizer's clean_text and the added tokens (with their
//    `normalized` flags) come from it. Normalizer settings still follow tokenizer_config.json
//    (BertTokenizerFast rebuilds the normalizer when they differ).
// Immutable once loaded.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "clipsearch/status.h"
#include "text/bert_normalizer.h"
#include "text/hash_tables.h"
#include "text/vocabulary.h"

namespace clipsearch::text {

struct WordPieceVocab {
  std::string source;  // the file the tokens came from, for messages

  TokenIndex token_to_id;
  size_t size = 0;  // ids are 0 .. size - 1
  // The longest token in code points (a "##" token counted without its prefix): no longer
  // match can exist, so the greedy search starts there.
  size_t max_token_chars = 0;

  BertNormalizerOptions normalizer;
  std::string continuing_subword_prefix = "##";
  size_t max_input_chars_per_word = 100;

  // Matched literally in the text before WordPiece (ref: tokenizers' AddedVocabulary).
  std::vector<SpecialToken> specials;
  int32_t unk_id = -1;
  int32_t cls_id = -1;       // put first
  int32_t sep_id = -1;       // put last
  int model_max_length = 0;  // tokenizer_config.json's, 0 when absent or unbounded
};

// true when `dir` holds a WordPiece tokenizer: vocab.txt without vocab.json and without
// bpe_simple_vocab_16e6.txt.gz, or config.json's model_type "chinese_clip", or
// tokenizer_config.json's tokenizer_class a Bert tokenizer.
bool is_wordpiece_folder(const std::string& dir);

// Loads the WordPiece tokenizer of the model folder `dir`. Every malformed file is an error
// naming the file (and the line of vocab.txt).
Result<WordPieceVocab> load_wordpiece_vocab(const std::string& dir);

// Parses the text of a vocab.txt (`path` names it in errors).
Result<WordPieceVocab> parse_vocab_txt(std::string_view text, const std::string& path);

}  // namespace clipsearch::text
