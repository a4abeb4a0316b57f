// open_clip's text cleaning, for the open_clip flavour of the tokenizer.
//
// ref: open_clip 2.23 tokenizer._clean_lower = whitespace_clean(basic_clean(text)).lower(), with
// basic_clean = ftfy.fix_text, html.unescape twice, strip. ftfy.fix_text (6.3.1, default
// config) is reproduced whole, segment by segment and repeated until nothing changes, as ftfy
// does: HTML entities (unless the text has a '<'), the mojibake repair of text decoded with the
// wrong codec (fix_encoding, ftfy_encoding.h), C1 controls as Windows-1252, Latin ligatures,
// full-width forms, curly quotes, line breaks, terminal escapes, control characters, NFC
// (docs/TOKENIZER.md). Pure function, thread-safe.
#pragma once

#include <string>

namespace clipsearch::text {

// Returns the cleaned, lowercased text that open_clip's SimpleTokenizer pre-tokenizes.
std::u32string open_clip_clean(const std::u32string& text);

// The ftfy.fix_text part alone (exposed for tests).
std::u32string ftfy_fix_text(const std::u32string& text);

}  // namespace clipsearch::text
