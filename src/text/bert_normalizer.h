// The text side of BERT's WordPiece tokenizer as tokenizers 0.13 runs it for transformers'
// BertTokenizerFast: BertNormalizer (clean the text, space out Chinese characters, strip accents,
// lowercase) and BertPreTokenizer (split on whitespace, isolate every punctuation character).
//
// ref: tokenizers 0.13.3 normalizers/bert.rs and pre_tokenizers/bert.rs. Their character classes
// come from the Rust `unicode_categories` crate and the Rust standard library, not from one
// Unicode version; they are measured on the reference by scripts/gen_bert_tables.py into
// bert_tables.inc. NFD is utf8proc's, corrected where tokenizers' NFD differs; lowercase is
// Rust's char::to_lowercase (text/unicode.h). Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace clipsearch::text {

struct BertNormalizerOptions {
  bool clean_text = true;            // drop NUL, U+FFFD and controls; whitespace to U+0020
  bool handle_chinese_chars = true;  // put spaces around each CJK ideograph
  bool strip_accents = true;         // NFD, then drop nonspacing marks (Mn)
  bool lowercase = true;             // Rust's char::to_lowercase, character by character
};

// Replaces *out with the normalized `text`.
void bert_normalize(std::u32string_view text, const BertNormalizerOptions& options,
                    std::u32string* out);

// The CJK ideograph blocks that handle_chinese_chars spaces out (ref: is_chinese_char).
bool bert_is_chinese_char(char32_t c);
// What BertPreTokenizer isolates: ASCII punctuation or Unicode P* (ref: is_bert_punc).
bool bert_is_punctuation(char32_t c);
// What BertPreTokenizer splits on and drops (ref: char::is_whitespace).
bool bert_is_split_space(char32_t c);

struct WordSpan {
  uint32_t begin = 0;  // code point offsets into the text
  uint32_t end = 0;
};

// Appends the words of `text` to *out, offsets shifted by `offset`: whitespace separates words
// and is dropped; each punctuation character is a word of its own.
void bert_pre_tokenize(std::u32string_view text, uint32_t offset, std::vector<WordSpan>* out);

}  // namespace clipsearch::text
