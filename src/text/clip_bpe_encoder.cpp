#include "text/clip_bpe_encoder.h"

#include "text/open_clip_clean.h"
#include "text/unicode.h"
#include "text/utf8.h"

namespace clipsearch::text {

ClipBpeEncoder::ClipBpeEncoder(Vocabulary vocab, TokenizerFlavor flavor)
    : vocab_(std::move(vocab)), flavor_(flavor) {
  if (flavor_ == TokenizerFlavor::kOpenClip) {
    // open_clip matches only its start and end tokens, at any case, in the cleaned text.
    std::vector<SpecialToken> specials;
    for (const auto& s : vocab_.specials) {
      if (s.id == vocab_.start_id || s.id == vocab_.end_id) {
        bool seen = false;
        for (const auto& t : specials) seen |= t.content == s.content;
        if (!seen) specials.push_back(s);
      }
    }
    vocab_.specials = std::move(specials);
  }
  bpe_ = std::make_unique<BpeEncoder>(&vocab_);
}

void ClipBpeEncoder::encode(const std::u32string& text, size_t limit, std::vector<int32_t>* ids) {
  if (flavor_ == TokenizerFlavor::kOpenClip) {
    encode_open_clip(text, limit, ids);
  } else {
    encode_transformers(text, limit, ids);
  }
}

// Appends the ids of the words of `buf` described by `word_pieces` (BPE or special ids); returns
// false once `limit` ids are reached (the rest would be truncated away).
bool ClipBpeEncoder::emit(const std::u32string& buf, const std::vector<Piece>& word_pieces,
                          size_t limit, std::vector<int32_t>* ids) {
  for (const Piece& w : word_pieces) {
    if (ids->size() >= limit) return false;
    if (w.special_id >= 0) {
      ids->push_back(w.special_id);
      continue;
    }
    word_utf8_.clear();
    for (uint32_t i = w.begin; i < w.end; ++i) utf8_append(buf[i], &word_utf8_);
    bpe_->encode_word(word_utf8_, ids);
  }
  return ids->size() < limit;
}

// ref: CLIPTokenizerFast (tokenizers 0.13): added tokens matched in the raw text, then the
// normalizer (NFC, \s+ -> ' ', lowercase) on each stretch between them, added tokens matched
// in the normalized text, the CLIP Split pre-tokenizer, ByteLevel, BPE.
void ClipBpeEncoder::encode_transformers(const std::u32string& cps, size_t limit,
                                         std::vector<int32_t>* ids) {
  raw_pieces_.clear();
  split_special_tokens(cps, vocab_.specials, /*normalized=*/false, 0, &raw_pieces_);
  for (const Piece& raw : raw_pieces_) {
    if (raw.special_id >= 0) {
      if (ids->size() >= limit) return;
      ids->push_back(raw.special_id);
      continue;
    }
    std::u32string nfc = cps.substr(raw.begin, raw.end - raw.begin);
    nfc_in_place(&nfc);
    normalized_.clear();
    bool in_space = false;
    for (char32_t c : nfc) {
      if (is_white_space(c)) {
        if (!in_space) normalized_.push_back(' ');
        in_space = true;
      } else {
        append_lowercase(c, &normalized_);
        in_space = false;
      }
    }
    pieces_.clear();
    split_special_tokens(normalized_, vocab_.specials, /*normalized=*/true, 0, &pieces_);
    for (const Piece& p : pieces_) {
      words_.clear();
      if (p.special_id >= 0) {
        words_.push_back(p);
      } else {
        std::u32string_view view(normalized_);
        clip_pre_tokenize(view.substr(p.begin, p.end - p.begin), UnicodeFlavor::kTokenizers,
                          nullptr, p.begin, &words_);
      }
      if (!emit(normalized_, words_, limit, ids)) return;
    }
  }
}

// ref: open_clip SimpleTokenizer.encode: clean (ftfy, html.unescape, whitespace, lower), then
// re.findall with the special tokens as the pattern's first alternatives, then BPE.
void ClipBpeEncoder::encode_open_clip(const std::u32string& cps, size_t limit,
                                      std::vector<int32_t>* ids) {
  normalized_ = open_clip_clean(cps);
  words_.clear();
  clip_pre_tokenize(normalized_, UnicodeFlavor::kPythonRegex, &vocab_.specials, 0, &words_);
  emit(normalized_, words_, limit, ids);
}

}  // namespace clipsearch::text
