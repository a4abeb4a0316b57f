// open_clip's text cleaning, for the open_clip flavour of the tokenizer.
//
// ref: open_clip 2.23 tokenizer._clean_lower = whitespace_clean(basic_clean(text)).lower(), with
// basic_clean = ftfy.fix_text, html.unescape twice, strip. Of ftfy.fix_text this reproduces the
// character-level fixes, segment by segment and repeated until nothing changes, as ftfy does:
// HTML entities (unless the text has a '<'), C1 controls as Windows-1252, Latin ligatures,
// full-width forms, curly quotes, line breaks, terminal escapes, control characters, NFC.
// It does not reproduce ftfy's mojibake repair (fix_encoding), which guesses at text that was
// decoded with the wrong codec (docs/TOKENIZER.md). Pure function, thread-safe.
#pragma once

#include <string>

namespace clipsearch::text {

// Returns the cleaned, lowercased text that open_clip's SimpleTokenizer pre-tokenizes.
std::u32string open_clip_clean(const std::u32string& text);

// The ftfy.fix_text part alone (exposed for tests).
std::u32string ftfy_fix_text(const std::u32string& text);

}  // namespace clipsearch::text
