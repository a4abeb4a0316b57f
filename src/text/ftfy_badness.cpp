#include "text/ftfy_badness.h"

#include <algorithm>
#include <cstdint>
#include <iterator>

#include "text/unicode.h"

namespace clipsearch::text {
namespace {

struct CodePointRange {
  char32_t first;
  char32_t last;
};

struct FtfyCharClasses {
  char32_t code_point;
  uint32_t classes;  // kFtfy* bits
};

#include "text/ftfy_char_classes.inc"

template <size_t N>
bool in_ranges(const CodePointRange (&table)[N], char32_t c) {
  const CodePointRange* end = table + N;
  const CodePointRange* it = std::upper_bound(
      table, end, c, [](char32_t v, const CodePointRange& r) { return v < r.first; });
  return it != table && c <= std::prev(it)->last;
}

uint32_t classes_of(char32_t c) {
  const FtfyCharClasses* end = std::end(kFtfyCharClasses);
  const FtfyCharClasses* it =
      std::lower_bound(std::begin(kFtfyCharClasses), end, c,
                       [](const FtfyCharClasses& e, char32_t v) { return e.code_point < v; });
  return it != end && it->code_point == c ? it->classes : 0;
}

// Python re's \w on str patterns: str.isalnum() or '_'.
bool is_python_word(char32_t c) {
  if (in_ranges(kPythonWordExtra, c)) return true;
  if (in_ranges(kPythonWordMissing, c)) return false;
  return char_class(c, UnicodeFlavor::kTokenizers) == CharClass::kLetter ||
         char_class(c, UnicodeFlavor::kTokenizers) == CharClass::kNumber;
}

std::vector<uint32_t> classes_of_text(std::u32string_view text) {
  std::vector<uint32_t> classes(text.size());
  for (size_t i = 0; i < text.size(); ++i) classes[i] = classes_of(text[i]);
  return classes;
}

// Shorthands for the character classes of BADNESS_RE.
constexpr uint32_t kC1 = kFtfyC1, kBad = kFtfyBad, kLowerAcc = kFtfyLowerAccented,
                   kUpperAcc = kFtfyUpperAccented, kBox = kFtfyBox,
                   kStartPunct = kFtfyStartPunctuation, kEndPunct = kFtfyEndPunctuation,
                   kCurrency = kFtfyCurrency, kNumeric = kFtfyNumeric, kLaw = kFtfyLaw,
                   kLowerCommon = kFtfyLowerCommon, kUpperCommon = kFtfyUpperCommon,
                   kKaomoji = kFtfyKaomoji, kCommon = kFtfyCommon;

// Positions of text with their classes; every accessor is false past the end.
class Cursor {
 public:
  Cursor(std::u32string_view text, const std::vector<uint32_t>& classes)
      : text_(text), classes_(classes) {}
  bool in(size_t i, uint32_t mask) const { return i < text_.size() && (classes_[i] & mask); }
  bool is(size_t i, char32_t c) const { return i < text_.size() && text_[i] == c; }
  bool one_of(size_t i, std::u32string_view set) const {
    return i < text_.size() && set.find(text_[i]) != std::u32string_view::npos;
  }
  bool ascii_lower(size_t i) const {
    return i < text_.size() && text_[i] >= 'a' && text_[i] <= 'z';
  }
  bool ascii_alpha(size_t i) const {
    return i < text_.size() && (text_[i] | 0x20) >= 'a' && (text_[i] | 0x20) <= 'z';
  }
  bool space(size_t i) const { return i < text_.size() && is_python_space(text_[i]); }
  bool word(size_t i) const { return i < text_.size() && is_python_word(text_[i]); }
  bool any(size_t i) const { return i < text_.size(); }
  char32_t at(size_t i) const { return text_[i]; }

 private:
  std::u32string_view text_;
  const std::vector<uint32_t>& classes_;
};

// ref: ftfy.badness.BADNESS_RE, its alternatives in order; true if one matches at i.
bool bad_at(const Cursor& t, size_t i) {
  const size_t j = i + 1, k = i + 2;
  if (t.in(i, kC1)) return true;
  if (t.in(i, kBad | kLowerAcc | kUpperAcc | kBox | kStartPunct | kEndPunct | kCurrency | kNumeric |
                  kLaw) &&
      t.in(j, kBad))
    return true;
  if (t.ascii_alpha(i) && t.in(j, kLowerCommon | kUpperCommon) && t.in(k, kBad)) return true;
  if (t.in(i, kBad) &&
      t.in(j, kLowerAcc | kUpperAcc | kBox | kStartPunct | kEndPunct | kCurrency | kNumeric | kLaw))
    return true;
  if (t.in(i, kLowerAcc | kLowerCommon | kBox | kEndPunct | kCurrency | kNumeric) &&
      t.in(j, kUpperAcc))
    return true;
  if (t.in(i, kBox | kEndPunct | kCurrency | kNumeric) && t.in(j, kLowerAcc)) return true;
  if (t.in(i, kLowerAcc | kBox | kEndPunct) && t.in(j, kCurrency)) return true;
  if (t.space(i) && t.in(j, kUpperAcc) && t.in(k, kCurrency)) return true;
  if (t.in(i, kUpperAcc | kBox) && t.in(j, kNumeric | kLaw)) return true;
  if (t.in(i, kLowerAcc | kUpperAcc | kBox | kCurrency | kEndPunct) && t.in(j, kStartPunct) &&
      t.in(k, kNumeric))
    return true;
  if (t.in(i, kLowerAcc | kUpperAcc | kCurrency | kNumeric | kBox | kLaw) && t.in(j, kEndPunct) &&
      t.in(k, kStartPunct))
    return true;
  if (t.in(i, kCurrency | kNumeric | kBox) && t.in(j, kStartPunct)) return true;
  if (t.ascii_lower(i) && t.in(j, kUpperAcc) && t.in(k, kStartPunct | kCurrency)) return true;
  if (t.in(i, kBox) && t.in(j, kKaomoji)) return true;
  if (t.in(i, kLowerAcc | kUpperAcc | kCurrency | kNumeric | kStartPunct | kEndPunct | kLaw) &&
      t.in(j, kBox))
    return true;
  if (t.in(i, kBox) && t.in(j, kEndPunct)) return true;
  if (t.in(i, kLowerAcc | kUpperAcc) && t.in(j, kStartPunct | kEndPunct) && t.word(k)) return true;
  // The ligature oe not followed by an ASCII letter.
  if (t.one_of(i, U"\u0152\u0153") && t.any(j) && !t.ascii_alpha(j)) return true;
  // A degree sign after an accented capital.
  if (t.in(i, kUpperAcc) && t.is(j, U'\u00B0')) return true;
  // Windows-1252 two-character mojibake: Â Ã Î Ð before one of these.
  if (t.one_of(i, U"\u00C2\u00C3\u00CE\u00D0") &&
      (t.one_of(j,
                U"\u20AC\u0153\u0160\u0161\u00A2\u00A3\u0178\u017E\u00A0\u00AD\u00AE\u00A9"
                U"\u00B0\u00B7\u00BB\u2013\u2014\u00B4") ||
       t.in(j, kStartPunct | kEndPunct)))
    return true;
  if (t.is(i, U'\u00D7') && t.one_of(j, U"\u00B2\u00B3")) return true;
  // Windows-1252 mojibake of Arabic: four characters.
  auto arabic_second = [&](size_t p) {
    return t.in(p, kCommon | kCurrency | kBad | kNumeric | kStartPunct) ||
           t.one_of(p, U"\u0178\u0160\u00AE\u00B0\u00B5\u00BB");
  };
  if (t.one_of(i, U"\u00D8\u00D9") && arabic_second(j) && t.one_of(k, U"\u00D8\u00D9") &&
      arabic_second(i + 3))
    return true;
  if (t.is(i, U'\u00E0') && t.one_of(j, U"\u00B2\u00B5\u00B9\u00BC\u00BD\u00BE")) return true;
  // MacRoman mojibake.
  if (t.is(i, U'\u221A') &&
      t.one_of(j, U"\u00B1\u2202\u2020\u2260\u00AE\u2122\u00B4\u2264\u2265\u00A5\u00B5\u00F8"))
    return true;
  if (t.is(i, U'\u2248') && t.one_of(j, U"\u00B0\u00A2")) return true;
  if (t.is(i, U'\u201A') && t.is(j, U'\u00C4') &&
      t.one_of(k, U"\u00EC\u00EE\u00EF\u00F2\u00F4\u00FA\u00F9\u00FB\u2020\u00B0\u00A2\u03C0"))
    return true;
  if (t.is(i, U'\u201A') && t.one_of(j, U"\u00E2\u00F3") &&
      t.one_of(k, U"\u00E0\u00E4\u00B0\u00EA"))
    return true;
  // Windows-1251 mojibake.
  if (t.is(i, U'\u0432') && t.is(j, U'\u0402')) return true;
  if (t.one_of(i, U"\u0412\u0413\u0420\u0421") &&
      (t.in(j, kC1 | kBad | kStartPunct | kEndPunct | kCurrency) || t.one_of(j, U"\u00B0\u00B5")) &&
      t.one_of(k, U"\u0412\u0413\u0420\u0421"))
    return true;
  if (t.is(i, U'\u0413') && t.is(j, U'\u045E') && t.is(k, U'\u0412') && t.is(i + 3, U'\u0402') &&
      t.is(i + 4, U'\u0412') && t.any(i + 5) && t.at(i + 5) != U'\n' &&
      (t.ascii_alpha(i + 6) || t.is(i + 6, U' ')))
    return true;
  // Windows-1252 encodings of à, á and U+00A0.
  if (t.is(i, U'\u00C3') && t.one_of(j, U"\u00A0\u00A1")) return true;
  if (t.ascii_lower(i) && ((t.space(j) && t.one_of(k, U"\u00C3\u00C2") && t.is(i + 3, U' ')) ||
                           (t.one_of(j, U"\u00C3\u00C2") && t.is(k, U' '))))
    return true;
  if (i == 0 && t.one_of(i, U"\u00C3\u00C2") && t.is(j, U' ')) return true;
  if ((t.one_of(i, U"abcdefghijklmnopqrstuvwxyz.,?!") || t.in(i, kEndPunct)) &&
      t.is(j, U'\u00C2') && (t.is(k, U' ') || t.in(k, kStartPunct | kEndPunct)))
    return true;
  // Windows-1253 mojibake.
  if (t.is(i, U'\u03B2') && t.is(j, U'\u20AC') &&
      t.one_of(k, U"\u2122\u00A0\u0386\u00AD\u00AE\u00B0"))
    return true;
  if (t.one_of(i, U"\u0392\u0393\u039E\u039F") &&
      (t.in(j, kC1 | kBad | kStartPunct | kEndPunct | kCurrency) || t.is(j, U'\u00B0')) &&
      t.one_of(k, U"\u0392\u0393\u039E\u039F"))
    return true;
  // Windows-1257 mojibake.
  return t.is(i, U'\u0101') && t.is(j, U'\u20AC');
}

}  // namespace

bool ftfy_is_bad(std::u32string_view text) {
  std::vector<uint32_t> classes = classes_of_text(text);
  Cursor cursor(text, classes);
  const size_t n = text.size();
  for (size_t i = 0; i < n; ++i) {
    // Every rule that starts with an ASCII character has a non-ASCII one right after it or
    // one further on.
    if (text[i] < 0x80 && (i + 1 >= n || text[i + 1] < 0x80) && (i + 2 >= n || text[i + 2] < 0x80))
      continue;
    if (bad_at(cursor, i)) return true;
  }
  return false;
}

std::vector<std::pair<size_t, size_t>> ftfy_utf8_mojibake_spans(std::u32string_view text) {
  // ref: ftfy.chardata.UTF8_DETECTOR_RE: not after a strict continuation character, one or more
  // of (first-of-2, 1 continuation | first-of-3, 2 | first-of-4, 3). Each repetition takes the
  // first alternative that matches, and the run ends where none does (re's greedy '+').
  std::vector<uint32_t> classes = classes_of_text(text);
  Cursor t(text, classes);
  auto continuations = [&](size_t p, size_t count) {
    for (size_t q = p; q < p + count; ++q) {
      if (!t.in(q, kFtfyUtf8Continuation)) return false;
    }
    return true;
  };
  std::vector<std::pair<size_t, size_t>> spans;
  for (size_t i = 0; i < text.size();) {
    if (i > 0 && t.in(i - 1, kFtfyUtf8ContinuationStrict)) {
      ++i;
      continue;
    }
    size_t p = i;
    while (true) {
      if (t.in(p, kFtfyUtf8FirstOf2) && continuations(p + 1, 1)) {
        p += 2;
      } else if (t.in(p, kFtfyUtf8FirstOf3) && continuations(p + 1, 2)) {
        p += 3;
      } else if (t.in(p, kFtfyUtf8FirstOf4) && continuations(p + 1, 3)) {
        p += 4;
      } else {
        break;
      }
    }
    if (p > i) {
      spans.emplace_back(i, p);
      i = p;
    } else {
      ++i;
    }
  }
  return spans;
}

}  // namespace clipsearch::text
