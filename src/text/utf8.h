// UTF-8 decoding and encoding for the tokenizer.
//
// Decoding never fails: every ill-formed sequence becomes U+FFFD, one replacement per "maximal
// subpart" (Unicode 15, section 3.9, U+FFFD substitution of maximal subparts), which is what
// Python's bytes.decode("utf-8", errors="replace") does. Surrogates and code points above
// U+10FFFF are ill-formed. Pure functions, thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace clipsearch::text {

// Decodes `bytes` into code points, appending to *out. Returns the number of U+FFFD
// replacements made for ill-formed input (0 for valid UTF-8).
size_t utf8_decode(std::string_view bytes, std::u32string* out);

// Appends the UTF-8 encoding of `cp` (a valid scalar value) to *out.
void utf8_append(char32_t cp, std::string* out);

// Encodes code points as UTF-8.
std::string utf8_encode(std::u32string_view cps);

// The length of the UTF-8 sequence that `lead` starts (1 for ASCII and stray continuation
// bytes), as the tokenizers walking valid UTF-8 step through it.
inline size_t utf8_sequence_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if (lead < 0xE0) return 2;
  if (lead < 0xF0) return 3;
  return 4;
}

}  // namespace clipsearch::text
