#include "text/pre_tokenizer.h"

namespace clipsearch::text {
namespace {

// Simple case folding, enough for the ASCII literals of the pattern under re.IGNORECASE:
// U+017F LONG S folds to 's', U+212A KELVIN SIGN to 'k'. The text is lowercase already.
char32_t fold(char32_t c) {
  if (c >= 'A' && c <= 'Z') return c + 0x20;
  if (c == 0x17F) return 's';
  if (c == 0x212A) return 'k';
  return c;
}

// Length of a contraction ('s 't 're 've 'm 'll 'd) at text[i], or 0.
size_t contraction_length(std::u32string_view text, size_t i, bool ignore_case) {
  if (text[i] != '\'' || i + 1 >= text.size()) return 0;
  auto at = [&](size_t k) { return ignore_case ? fold(text[k]) : text[k]; };
  char32_t a = at(i + 1);
  if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
  if (i + 2 >= text.size()) return 0;
  char32_t b = at(i + 2);
  if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
  return 0;
}

}  // namespace

void split_special_tokens(std::u32string_view text, const std::vector<SpecialToken>& specials,
                          bool normalized, uint32_t offset, std::vector<Piece>* out) {
  size_t start = 0;  // start of the pending plain text
  size_t i = 0;
  while (i < text.size()) {
    const SpecialToken* best = nullptr;
    for (const SpecialToken& s : specials) {
      if (s.normalized != normalized || s.content.empty()) continue;
      if (text.substr(i, s.content.size()) == s.content &&
          (best == nullptr || s.content.size() > best->content.size())) {
        best = &s;
      }
    }
    if (best == nullptr) {
      ++i;
      continue;
    }
    if (i > start) out->push_back({offset + uint32_t(start), offset + uint32_t(i), -1});
    uint32_t len = uint32_t(best->content.size());
    out->push_back({offset + uint32_t(i), offset + uint32_t(i) + len, best->id});
    i += len;
    start = i;
  }
  if (text.size() > start) {
    out->push_back({offset + uint32_t(start), offset + uint32_t(text.size()), -1});
  }
}

void clip_pre_tokenize(std::u32string_view text, UnicodeFlavor flavor,
                       const std::vector<SpecialToken>* specials, uint32_t offset,
                       std::vector<Piece>* out) {
  const bool ignore_case = specials != nullptr;
  size_t i = 0;
  const size_t n = text.size();
  while (i < n) {
    CharClass cls = char_class(text[i], flavor);
    if (cls == CharClass::kSpace || cls == CharClass::kUnmatched) {  // dropped by findall
      ++i;
      continue;
    }
    size_t begin = i;
    if (specials != nullptr) {
      const SpecialToken* match = nullptr;
      for (const SpecialToken& s : *specials) {  // alternatives in order: the first match wins
        if (s.content.empty() || n - i < s.content.size()) continue;
        bool equal = true;
        for (size_t k = 0; k < s.content.size() && equal; ++k) {
          equal = fold(text[i + k]) == fold(s.content[k]);
        }
        if (equal) {
          match = &s;
          break;
        }
      }
      if (match != nullptr) {
        // ref: open_clip looks the match up in its cache of special tokens, exactly: a
        // spelling that only matched by case folding ("<\u017ftart_of_text>") goes to BPE.
        bool exact = text.substr(i, match->content.size()) == match->content;
        i += match->content.size();
        out->push_back({offset + uint32_t(begin), offset + uint32_t(i), exact ? match->id : -1});
        continue;
      }
    }
    if (size_t len = contraction_length(text, i, ignore_case)) {
      i += len;
    } else if (cls == CharClass::kLetter) {
      while (i < n && char_class(text[i], flavor) == CharClass::kLetter) ++i;
    } else if (cls == CharClass::kNumber) {
      ++i;
    } else {
      while (i < n && char_class(text[i], flavor) == CharClass::kOther) ++i;
    }
    out->push_back({offset + uint32_t(begin), offset + uint32_t(i), -1});
  }
}

}  // namespace clipsearch::text
