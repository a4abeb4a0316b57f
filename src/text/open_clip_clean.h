// open_clip's text cleaning: for the open_clip flavour of CLIP's tokenizer (SimpleTokenizer,
// clean "lower") and before a Hugging Face tokenizer in an open_clip model folder (HFTokenizer,
// clean "whitespace" unless text_cfg.tokenizer_kwargs says otherwise).
//
// ref: open_clip 2.23 tokenizer.get_clean_fn:
//   _clean_whitespace   = whitespace_clean(basic_clean(text))
//   _clean_lower        = whitespace_clean(basic_clean(text)).lower()
//   _clean_canonicalize = canonicalize_text(basic_clean(text))
// with basic_clean = ftfy.fix_text, html.unescape twice, strip; whitespace_clean = regex \s+ to
// one space, strip. ftfy.fix_text (6.3.1, default
// config) is reproduced whole, segment by segment and repeated until nothing changes, as ftfy
// does: HTML entities (unless the text has a '<'), the mojibake repair of text decoded with the
// wrong codec (fix_encoding, ftfy_encoding.h), C1 controls as Windows-1252, Latin ligatures,
// full-width forms, curly quotes, line breaks, terminal escapes, control characters, NFC
// (docs/TOKENIZER.md). Pure function, thread-safe.
#pragma once

#include <string>

namespace clipsearch::text {

enum class OpenClipClean {
  kLower,         // SimpleTokenizer's default
  kWhitespace,    // HFTokenizer's default: no lowercasing
  kCanonicalize,  // '_' to space, ASCII punctuation removed, lowercase, whitespace cleaned
};

// The name open_clip gives `clean` ("lower", "whitespace", "canonicalize"), and back (false for
// any other name).
const char* open_clip_clean_name(OpenClipClean clean);
bool parse_open_clip_clean(const std::string& name, OpenClipClean* clean);

// Returns the cleaned text that open_clip gives its tokenizer (by default SimpleTokenizer's).
std::u32string open_clip_clean(const std::u32string& text,
                               OpenClipClean clean = OpenClipClean::kLower);

// The ftfy.fix_text part alone (exposed for tests).
std::u32string ftfy_fix_text(const std::u32string& text);

}  // namespace clipsearch::text
