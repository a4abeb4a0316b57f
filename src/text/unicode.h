// Character properties and normalization for the tokenizer, on top of utf8proc (Unicode 15.0).
//
// The two reference tokenizers see Unicode through different data: tokenizers 0.13 (behind
// transformers' CLIPTokenizerFast) matches its patterns with Oniguruma's Unicode 14.0 tables;
// open_clip's SimpleTokenizer uses Python 3.11 (Unicode 14.0) for str.lower() and the `regex`
// module (a newer Unicode) for \p{L} and \p{N}. UnicodeFlavor picks which one to reproduce; the
// differences to utf8proc come from generated tables (unicode_tables.inc). Pure functions,
// thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace clipsearch::text {

enum class UnicodeFlavor : uint8_t {
  kTokenizers,   // tokenizers 0.13 / Oniguruma (CLIPTokenizerFast)
  kPythonRegex,  // Python 3.11 + the regex module (open_clip)
};

// The classes of the CLIP pre-tokenizer pattern: \s, \p{L}, \p{N}, everything else, and
// kUnmatched for what open_clip's case-insensitive pattern matches with none of them (U+0345).
enum class CharClass : uint8_t { kSpace, kLetter, kNumber, kOther, kUnmatched };

CharClass char_class(char32_t c, UnicodeFlavor flavor);

// Unicode White_Space: what \s matches in Oniguruma and in the regex module.
bool is_white_space(char32_t c);

// In valid UTF-8 `s`: where the run of White_Space characters that ends at byte `end` starts,
// and where the one that starts at byte `begin` ends (ref: tokenizers' added tokens' lstrip and
// rstrip, `\s*$` and `^\s*`).
size_t white_space_run_before(std::string_view s, size_t end);
size_t white_space_run_after(std::string_view s, size_t begin);

// Python's str.isspace() (str.strip() removes these): White_Space plus U+001C..U+001F.
bool is_python_space(char32_t c);

// Canonical composition (NFC), in place.
void nfc_in_place(std::u32string* s);

// Compatibility composition (NFKC) of one character, as a string.
std::u32string nfkc_char(char32_t c);

// Full lowercase mapping of one character, without context, appended to *out (Rust's
// char::to_lowercase, which tokenizers' Lowercase normalizer applies character by character).
void append_lowercase(char32_t c, std::u32string* out);

// Python's str.lower(): full mappings, and Σ as ς at the end of a word (Final_Sigma).
std::u32string python_lower(const std::u32string& s);

}  // namespace clipsearch::text
