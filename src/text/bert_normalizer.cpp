#include "text/bert_normalizer.h"

#include <utf8proc.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <iterator>

#include "text/code_point_ranges.h"
#include "text/unicode.h"
#include "text/utf8.h"

namespace clipsearch::text {
namespace {

#include "text/bert_tables.inc"

// The classes of one code point, for the loops below.
enum CharBits : uint8_t {
  kRemoved = 1,      // clean_text drops it
  kToSpace = 2,      // clean_text makes it U+0020
  kPunctuation = 4,  // the pre-tokenizer isolates it
  kSplitSpace = 8,   // the pre-tokenizer splits on it
  kMark = 16,        // strip_accents drops it
};

uint8_t classify(char32_t c) {
  uint8_t bits = 0;
  if (in_ranges(kBertCleanRemoved, c)) bits |= kRemoved;
  if (in_ranges(kBertCleanToSpace, c)) bits |= kToSpace;
  if (in_ranges(kBertPunctuation, c)) bits |= kPunctuation;
  if (in_ranges(kBertSplitSpace, c)) bits |= kSplitSpace;
  if (in_ranges(kBertNonspacingMarks, c)) bits |= kMark;
  return bits;
}

// The classes of U+0000..U+00FF, looked up without a search.
const std::array<uint8_t, 256>& latin1_bits() {
  static const std::array<uint8_t, 256> table = [] {
    std::array<uint8_t, 256> t{};
    for (char32_t c = 0; c < 256; ++c) t[c] = classify(c);
    return t;
  }();
  return table;
}

uint8_t char_bits(char32_t c) { return c < 256 ? latin1_bits()[c] : classify(c); }

// Appends the canonical decomposition (NFD) of `text` to *out, utf8proc's except for the code
// points that tokenizers leaves whole (kBertNfdUnchanged): those are starters there, so the
// text is decomposed in runs between them.
void append_nfd(std::u32string_view text, std::u32string* out) {
  size_t start = 0;
  while (start < text.size()) {
    size_t stop = start;
    while (stop < text.size() && !in_ranges(kBertNfdUnchanged, text[stop])) ++stop;
    if (stop > start) {
      std::string utf8 = utf8_encode(text.substr(start, stop - start));
      utf8proc_uint8_t* mapped = nullptr;
      utf8proc_ssize_t n =
          utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(utf8.data()),
                       static_cast<utf8proc_ssize_t>(utf8.size()), &mapped,
                       static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_DECOMPOSE));
      if (n >= 0) {
        utf8_decode(std::string_view(reinterpret_cast<const char*>(mapped), size_t(n)), out);
      } else {  // cannot happen on valid code points; keep the text as it is
        out->append(text.substr(start, stop - start));
      }
      std::free(mapped);
    }
    if (stop < text.size()) out->push_back(text[stop]);
    start = stop + 1;
  }
}

}  // namespace

bool bert_is_chinese_char(char32_t c) {
  // ref: normalizers/bert.rs is_chinese_char (the CJK Unified Ideographs blocks and extensions,
  // and the compatibility ideographs).
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
         (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

bool bert_is_punctuation(char32_t c) { return char_bits(c) & kPunctuation; }
bool bert_is_split_space(char32_t c) { return char_bits(c) & kSplitSpace; }

void bert_normalize(std::u32string_view text, const BertNormalizerOptions& options,
                    std::u32string* out) {
  // ref: BertNormalizer::normalize: clean_text, then handle_chinese_chars, then strip_accents,
  // then lowercase, each over the whole text.
  out->clear();
  std::u32string cleaned;
  std::u32string* stage = options.strip_accents ? &cleaned : out;
  stage->reserve(text.size() + 8);
  bool ascii = true;
  for (char32_t c : text) {
    if (options.clean_text) {
      const uint8_t bits = char_bits(c);
      if (bits & kRemoved) continue;
      if (bits & kToSpace) c = U' ';
    }
    ascii = ascii && c < 0x80;
    if (options.handle_chinese_chars && bert_is_chinese_char(c)) {
      stage->push_back(U' ');
      stage->push_back(c);
      stage->push_back(U' ');
    } else {
      stage->push_back(c);
    }
  }
  if (options.strip_accents) {
    std::u32string decomposed;
    if (ascii) {
      decomposed.swap(cleaned);
    } else {
      append_nfd(cleaned, &decomposed);
    }
    out->reserve(decomposed.size());
    for (char32_t c : decomposed) {
      if (!ascii && (char_bits(c) & kMark)) continue;
      if (options.lowercase) {
        append_lowercase(c, out);
      } else {
        out->push_back(c);
      }
    }
  } else if (options.lowercase) {
    std::u32string lowered;
    lowered.reserve(out->size());
    for (char32_t c : *out) append_lowercase(c, &lowered);
    out->swap(lowered);
  }
}

void bert_pre_tokenize(std::u32string_view text, uint32_t offset, std::vector<WordSpan>* out) {
  // ref: BertPreTokenizer: split on char::is_whitespace (removed), then split on is_bert_punc
  // (isolated).
  size_t start = 0;  // start of the pending word
  for (size_t i = 0; i < text.size(); ++i) {
    const uint8_t bits = char_bits(text[i]);
    if (!(bits & (kSplitSpace | kPunctuation))) continue;
    if (i > start) out->push_back({offset + uint32_t(start), offset + uint32_t(i)});
    if (bits & kPunctuation) out->push_back({offset + uint32_t(i), offset + uint32_t(i) + 1});
    start = i + 1;
  }
  if (text.size() > start)
    out->push_back({offset + uint32_t(start), offset + uint32_t(text.size())});
}

}  // namespace clipsearch::text
