#include "text/unicode.h"

#include <utf8proc.h>

#include <algorithm>
#include <cstdlib>
#include <iterator>

#include "text/code_point_ranges.h"
#include "text/utf8.h"

namespace clipsearch::text {
namespace {

#include "text/unicode_tables.inc"

bool is_python_case_ignorable(char32_t c) { return in_ranges(kPythonCaseIgnorable, c); }
bool is_python_cased(char32_t c) { return in_ranges(kPythonCased, c); }

}  // namespace

bool is_white_space(char32_t c) {
  if (c < 0x80) return c == ' ' || (c >= 0x09 && c <= 0x0D);
  return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 ||
         c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

namespace {

// The code point that starts at byte `i` of valid UTF-8 `s`, its length in *len.
char32_t code_point_at(std::string_view s, size_t i, size_t* len) {
  *len = std::min(utf8_sequence_length(static_cast<unsigned char>(s[i])), s.size() - i);
  std::u32string cp;
  utf8_decode(s.substr(i, *len), &cp);
  return cp.empty() ? 0 : cp[0];
}

}  // namespace

size_t white_space_run_before(std::string_view s, size_t end) {
  while (end > 0) {
    size_t begin = end - 1;
    while (begin > 0 && (static_cast<unsigned char>(s[begin]) & 0xC0) == 0x80) --begin;
    size_t len = 0;
    if (!is_white_space(code_point_at(s, begin, &len))) break;
    end = begin;
  }
  return end;
}

size_t white_space_run_after(std::string_view s, size_t begin) {
  while (begin < s.size()) {
    size_t len = 0;
    if (!is_white_space(code_point_at(s, begin, &len))) break;
    begin += len;
  }
  return begin;
}

bool is_python_space(char32_t c) { return is_white_space(c) || (c >= 0x1C && c <= 0x1F); }

CharClass char_class(char32_t c, UnicodeFlavor flavor) {
  if (c < 0x80) {  // fast path: ASCII
    if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return CharClass::kLetter;
    if (c >= '0' && c <= '9') return CharClass::kNumber;
    if (is_white_space(c)) return CharClass::kSpace;
    return CharClass::kOther;
  }
  if (is_white_space(c)) return CharClass::kSpace;
  if (flavor == UnicodeFlavor::kTokenizers) {
    // ref: tokenizers 0.13's Oniguruma tables predate Unicode 15.0: its additions are unassigned.
    if (in_ranges(kUnicode15Additions, c)) return CharClass::kOther;
  } else {
    if (in_ranges(kPythonRegexExtraLetters, c)) return CharClass::kLetter;
    if (in_ranges(kPythonRegexExtraNumbers, c)) return CharClass::kNumber;
    if (in_ranges(kPythonRegexNotLetterOrNumber, c)) return CharClass::kOther;
    if (in_ranges(kPythonRegexUnmatched, c)) return CharClass::kUnmatched;
  }
  switch (utf8proc_category(static_cast<utf8proc_int32_t>(c))) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
      return CharClass::kLetter;
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO:
      return CharClass::kNumber;
    default:
      return CharClass::kOther;
  }
}

void nfc_in_place(std::u32string* s) {
  // Below U+0300 nothing decomposes and nothing combines, so such text is already NFC.
  if (std::all_of(s->begin(), s->end(), [](char32_t c) { return c < 0x300; })) return;
  std::string utf8 = utf8_encode(*s);
  utf8proc_uint8_t* out = nullptr;
  utf8proc_ssize_t n =
      utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(utf8.data()),
                   static_cast<utf8proc_ssize_t>(utf8.size()), &out,
                   static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
  if (n < 0) return;  // cannot happen on valid UTF-8; leave the text as it is
  s->clear();
  utf8_decode(std::string_view(reinterpret_cast<const char*>(out), static_cast<size_t>(n)), s);
  std::free(out);
}

std::u32string nfkc_char(char32_t c) {
  std::string utf8;
  utf8_append(c, &utf8);
  utf8proc_uint8_t* out = nullptr;
  utf8proc_ssize_t n = utf8proc_map(
      reinterpret_cast<const utf8proc_uint8_t*>(utf8.data()),
      static_cast<utf8proc_ssize_t>(utf8.size()), &out,
      static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT));
  std::u32string result;
  if (n >= 0) {
    utf8_decode(std::string_view(reinterpret_cast<const char*>(out), static_cast<size_t>(n)),
                &result);
  } else {
    result.push_back(c);
  }
  std::free(out);
  return result;
}

void append_lowercase(char32_t c, std::u32string* out) {
  if (c < 0x80) {
    out->push_back(c >= 'A' && c <= 'Z' ? c + 0x20 : c);
    return;
  }
  for (const auto& e : kPythonLowerExceptions) {  // U+0130 -> "i\u0307" (SpecialCasing.txt)
    if (e.from == c) {
      out->append(e.to);
      return;
    }
  }
  out->push_back(static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(c))));
}

std::u32string python_lower(const std::u32string& s) {
  std::u32string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != 0x3A3) {
      append_lowercase(s[i], &out);
      continue;
    }
    // ref: CPython's handle_capital_sigma: ς when a cased letter precedes and none follows,
    // skipping case-ignorable characters in both directions.
    size_t j = i;
    while (j > 0 && is_python_case_ignorable(s[j - 1])) --j;
    bool cased_before = j > 0 && is_python_cased(s[j - 1]);
    size_t k = i + 1;
    while (k < s.size() && is_python_case_ignorable(s[k])) ++k;
    bool cased_after = k < s.size() && is_python_cased(s[k]);
    out.push_back(cased_before && !cased_after ? 0x3C2 : 0x3C3);
  }
  return out;
}

}  // namespace clipsearch::text
