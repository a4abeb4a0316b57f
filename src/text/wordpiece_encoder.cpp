#include "text/wordpiece_encoder.h"

#include <algorithm>

#include "text/utf8.h"

namespace clipsearch::text {

WordPieceEncoder::WordPieceEncoder(WordPieceVocab vocab) : vocab_(std::move(vocab)) {
  for (const SpecialToken& s : vocab_.specials) has_normalized_specials_ |= s.normalized;
}

void WordPieceEncoder::encode_word(std::u32string_view word, std::vector<int32_t>* ids) {
  // ref: tokenizers 0.13 models/wordpiece WordPiece::tokenize.
  if (word.size() > vocab_.max_input_chars_per_word) {
    ids->push_back(vocab_.unk_id);
    return;
  }
  word_utf8_.clear();
  char_offsets_.clear();
  for (char32_t c : word) {
    char_offsets_.push_back(static_cast<uint32_t>(word_utf8_.size()));
    utf8_append(c, &word_utf8_);
  }
  char_offsets_.push_back(static_cast<uint32_t>(word_utf8_.size()));
  const size_t first_id = ids->size();
  const size_t n = word.size();
  const std::string& prefix = vocab_.continuing_subword_prefix;
  size_t start = 0;
  while (start < n) {
    // The longest entry from `start`: no token is longer than max_token_chars code points.
    size_t end = std::min(n, start + std::max<size_t>(vocab_.max_token_chars, 1));
    int32_t id = -1;
    for (; end > start; --end) {
      std::string_view piece(word_utf8_.data() + char_offsets_[start],
                             char_offsets_[end] - char_offsets_[start]);
      if (start == 0) {
        id = vocab_.token_to_id.find(piece);
      } else {
        key_.assign(prefix).append(piece);
        id = vocab_.token_to_id.find(key_);
      }
      if (id >= 0) break;
    }
    if (id < 0) {  // some rest has no entry: the whole word is unknown
      ids->resize(first_id);
      ids->push_back(vocab_.unk_id);
      return;
    }
    ids->push_back(id);
    start = end;
  }
}

void WordPieceEncoder::encode(const std::u32string& text, size_t limit, std::vector<int32_t>* ids) {
  raw_pieces_.clear();
  split_special_tokens(text, vocab_.specials, /*normalized=*/false, 0, &raw_pieces_);
  for (const Piece& raw : raw_pieces_) {
    if (ids->size() >= limit) return;
    if (raw.special_id >= 0) {
      ids->push_back(raw.special_id);
      continue;
    }
    std::u32string_view view(text);
    bert_normalize(view.substr(raw.begin, raw.end - raw.begin), vocab_.normalizer, &normalized_);
    pieces_.clear();
    if (has_normalized_specials_) {
      split_special_tokens(normalized_, vocab_.specials, /*normalized=*/true, 0, &pieces_);
    } else if (!normalized_.empty()) {
      pieces_.push_back({0, static_cast<uint32_t>(normalized_.size()), -1});
    }
    std::u32string_view norm(normalized_);
    for (const Piece& p : pieces_) {
      if (p.special_id >= 0) {
        ids->push_back(p.special_id);
        if (ids->size() >= limit) return;
        continue;
      }
      words_.clear();
      bert_pre_tokenize(norm.substr(p.begin, p.end - p.begin), p.begin, &words_);
      for (const WordSpan& w : words_) {
        encode_word(norm.substr(w.begin, w.end - w.begin), ids);
        if (ids->size() >= limit) return;
      }
    }
  }
}

}  // namespace clipsearch::text
