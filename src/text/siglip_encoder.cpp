#include "text/siglip_encoder.h"

#include <algorithm>

#include "text/unicode.h"
#include "text/utf8.h"

namespace clipsearch::text {
namespace {

constexpr char32_t kSpieceUnderline = 0x2581;

// ref: Python's string.punctuation: !"#$%&'()*+,-./:;<=>?@[\]^_`{|}~
bool is_ascii_punctuation(char32_t c) {
  return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60) ||
         (c >= 0x7B && c <= 0x7E);
}

// ref: SiglipTokenizer.canonicalize_text (keep_punctuation_exact_string=None):
// text.translate(<remove string.punctuation>), re.sub(r"\s+", " ", text), text.strip().
std::u32string canonicalize_text(const std::u32string& text) {
  std::u32string out;
  out.reserve(text.size());
  bool in_space = false;
  for (char32_t c : text) {
    if (is_ascii_punctuation(c)) continue;
    if (is_python_space(c)) {
      if (!in_space) out.push_back(U' ');
      in_space = true;
      continue;
    }
    out.push_back(c);
    in_space = false;
  }
  const size_t begin = out.find_first_not_of(U' ');
  if (begin == std::u32string::npos) return {};
  return out.substr(begin, out.find_last_not_of(U' ') - begin + 1);
}

bool starts_with_at(const std::u32string& text, size_t at, const std::u32string& prefix) {
  return text.size() - at >= prefix.size() && text.compare(at, prefix.size(), prefix) == 0;
}

}  // namespace

SiglipEncoder::SiglipEncoder(SiglipVocab vocab) : vocab_(std::move(vocab)) {
  unk_utf8_ = utf8_encode(vocab_.unk_token);
  // ref: SiglipTokenizer.unk_token_length: len(self.sp_model.encode(str(self.unk_token))).
  vocab_.sp.encode(unk_utf8_, &pieces_);
  unk_token_length_ = pieces_.size();
  for (const std::u32string& s : vocab_.special_tokens) special_utf8_.push_back(utf8_encode(s));
  for (const SiglipAddedToken& a : vocab_.added) added_utf8_.push_back(utf8_encode(a.content));
}

Framing SiglipEncoder::framing() const {
  Framing f;
  f.end = vocab_.eos_id;
  f.end_unless_last = true;
  f.pad_to_context = true;
  f.pad_left = vocab_.pad_left;
  f.pad_id = vocab_.pad_id;
  return f;
}

// ref: PreTrainedTokenizer.tokenize with do_lower_case: re.sub(r"(<specials>)|(.+?)", lower):
// a special token (or a non-special normalized added token) where one starts is kept, every
// other character but "\n" (which "." does not match) is lowercased on its own.
std::u32string SiglipEncoder::lowercase(const std::u32string& text) const {
  std::u32string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const std::u32string* kept = nullptr;
    for (const std::u32string& s : vocab_.special_tokens) {
      if (starts_with_at(text, i, s)) {
        kept = &s;
        break;
      }
    }
    for (size_t k = 0; kept == nullptr && k < vocab_.added.size(); ++k) {
      const SiglipAddedToken& a = vocab_.added[k];
      if (!a.special && a.normalized && starts_with_at(text, i, a.content)) kept = &a.content;
    }
    if (kept != nullptr) {
      out += *kept;
      i += kept->size();
      continue;
    }
    const char32_t c = text[i++];
    if (c == U'\n') {
      out.push_back(c);
    } else if (c == 0x3A3) {
      out.push_back(0x3C3);  // Σ alone has no letter before it: σ, never final ς
    } else {
      append_lowercase(c, &out);
    }
  }
  return out;
}

// ref: tokenization_utils.py Trie.split: the added tokens cut out, leftmost then longest.
void SiglipEncoder::split_added(const std::u32string& text, std::vector<Chunk>* chunks) const {
  size_t start = 0;
  for (size_t i = 0; i < text.size();) {
    int best = -1;
    for (size_t k = 0; k < vocab_.added.size(); ++k) {
      const std::u32string& c = vocab_.added[k].content;
      if ((best < 0 || c.size() > vocab_.added[static_cast<size_t>(best)].content.size()) &&
          starts_with_at(text, i, c)) {
        best = static_cast<int>(k);
      }
    }
    if (best < 0) {
      ++i;
      continue;
    }
    if (i > start) chunks->push_back({text.substr(start, i - start), -1});
    chunks->push_back({{}, best});
    i += vocab_.added[static_cast<size_t>(best)].content.size();
    start = i;
  }
  if (start < text.size()) chunks->push_back({text.substr(start), -1});
}

void SiglipEncoder::tokenize_stretch(const std::u32string& text, std::vector<std::string>* tokens) {
  // ref: SiglipTokenizer._tokenize: encode unk_token + text, drop unk_token's pieces.
  std::string utf8 = unk_utf8_ + utf8_encode(canonicalize_text(text));
  vocab_.sp.encode(utf8, &pieces_);
  const size_t skip = pieces_.size() >= unk_token_length_ ? unk_token_length_ : 0;
  for (size_t k = skip; k < pieces_.size(); ++k) tokens->push_back(std::move(pieces_[k].piece));
}

int32_t SiglipEncoder::token_to_id(const std::string& token) const {
  // ref: _convert_token_to_id_with_added_voc: the added tokens first, then piece_to_id.
  for (size_t k = 0; k < added_utf8_.size(); ++k) {
    if (added_utf8_[k] == token) return vocab_.added[k].id;
  }
  return vocab_.sp.piece_to_id(token);
}

void SiglipEncoder::encode(const std::u32string& text, size_t limit, std::vector<int32_t>* ids) {
  // ref: SiglipTokenizer.tokenize: SPIECE_UNDERLINE + text.replace(SPIECE_UNDERLINE, " ").
  std::u32string t;
  t.reserve(text.size() + 1);
  t.push_back(kSpieceUnderline);
  for (char32_t c : text) t.push_back(c == kSpieceUnderline ? U' ' : c);
  if (vocab_.do_lower_case) t = lowercase(t);
  std::vector<Chunk> chunks;
  split_added(t, &chunks);
  // ref: PreTrainedTokenizer.tokenize: rstrip takes the whitespace right of the token (the next
  // stretch's lstrip), lstrip the whitespace left of it; Python's str.isspace.
  for (size_t i = 0; i < chunks.size(); ++i) {
    if (chunks[i].added < 0) continue;
    const SiglipAddedToken& a = vocab_.added[static_cast<size_t>(chunks[i].added)];
    if (a.rstrip && i + 1 < chunks.size() && chunks[i + 1].added < 0) {
      std::u32string& right = chunks[i + 1].text;
      size_t k = 0;
      while (k < right.size() && is_python_space(right[k])) ++k;
      right.erase(0, k);
    }
    if (a.lstrip && i > 0 && chunks[i - 1].added < 0) {
      std::u32string& left = chunks[i - 1].text;
      size_t k = left.size();
      while (k > 0 && is_python_space(left[k - 1])) --k;
      left.resize(k);
    }
  }
  std::vector<std::string> tokens;
  for (const Chunk& c : chunks) {
    // Enough tokens for `limit` ids, and one more that step 5 may drop.
    if (tokens.size() > limit + 1) break;
    if (c.added >= 0) {
      tokens.push_back(added_utf8_[static_cast<size_t>(c.added)]);
    } else if (!c.text.empty()) {
      tokenize_stretch(c.text, &tokens);
    }
  }
  // ref: SiglipTokenizer.tokenize: a lone "▁" before a special token is dropped.
  if (tokens.size() > 1 && tokens[0] == "\xe2\x96\x81" &&
      std::find(special_utf8_.begin(), special_utf8_.end(), tokens[1]) != special_utf8_.end()) {
    tokens.erase(tokens.begin());
  }
  for (const std::string& token : tokens) {
    if (ids->size() >= limit) break;
    ids->push_back(token_to_id(token));
  }
}

}  // namespace clipsearch::text
