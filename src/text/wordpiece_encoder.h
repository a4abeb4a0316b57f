// WordPieceEncoder: BERT's WordPiece pipeline as transformers' BertTokenizerFast runs it
// (tokenizers 0.13.3, the pipeline BertConverter builds), for Chinese-CLIP's text tower:
//  1. special tokens whose `normalized` flag is false ([CLS], [SEP], [PAD], [MASK], [UNK] when
//     named by a string, as Chinese-CLIP's files do) are cut out of the raw text, leftmost-longest,
//     case-sensitively, anywhere (also inside words);
//  2. each remaining stretch goes through BertNormalizer (text/bert_normalizer.h); special tokens
//     flagged `normalized` are cut out of the result;
//  3. BertPreTokenizer splits it into words;
//  4. WordPiece: a word longer than max_input_chars_per_word (100) code points is [UNK];
//     otherwise it is cut greedily into the longest vocabulary entries from the left, every
//     piece after the first looked up with the "##" prefix; if some rest has no entry, the
//     whole word is one [UNK].
// Owns its vocabulary and scratch buffers; not thread-safe.
#pragma once

#include <string>
#include <vector>

#include "text/bert_normalizer.h"
#include "text/pre_tokenizer.h"
#include "text/token_encoder.h"
#include "text/wordpiece_vocab.h"

namespace clipsearch::text {

class WordPieceEncoder final : public TokenEncoder {
 public:
  explicit WordPieceEncoder(WordPieceVocab vocab);

  void encode(const std::u32string& text, size_t limit, std::vector<int32_t>* ids) override;
  int32_t start_id() const override { return vocab_.cls_id; }
  int32_t end_id() const override { return vocab_.sep_id; }
  size_t vocab_size() const override { return vocab_.size; }

  const WordPieceVocab& vocab() const { return vocab_; }

  // Appends the WordPiece ids of one word (no whitespace, no punctuation inside) to *ids.
  void encode_word(std::u32string_view word, std::vector<int32_t>* ids);

 private:
  WordPieceVocab vocab_;
  bool has_normalized_specials_ = false;
  // Scratch buffers reused between calls.
  std::vector<Piece> raw_pieces_, pieces_;
  std::vector<WordSpan> words_;
  std::u32string normalized_;
  std::string word_utf8_, key_;
  std::vector<uint32_t> char_offsets_;  // byte offset of each code point of word_utf8_, and end
};

}  // namespace clipsearch::text
