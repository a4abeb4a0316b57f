// ftfy's encoding repair ("mojibake" repair), for open_clip's text cleaning.
//
// ref: ftfy 6.3.1 fix_encoding with the default TextFixerConfig, the step of ftfy.fix_text that
// runs after HTML unescaping. When text that looks like UTF-8 decoded with the wrong
// single-byte codec trips ftfy's heuristic (ftfy_badness.h), each codec ftfy knows (Latin-1,
// windows-125x with their holes filled, ISO-8859-2, MacRoman, CP437) is tried in turn: the text
// is encoded back to bytes, bytes 0xA0 that became spaces are restored (restore_byte_a0),
// sequences with lost bytes become U+FFFD (replace_lossy_sequences), and the bytes are decoded
// as UTF-8 (also accepting CESU-8 surrogate pairs and C0 80 for U+0000). If none decodes,
// mojibake embedded in good text is fixed piece by piece (decode_inconsistent_utf8), then
// C1 controls are read as Windows-1252. Repeated until the text stops changing.
// The codec tables come from Python's codecs (ftfy_codecs.inc, scripts/gen_ftfy_tables.py).
// Pure functions, thread-safe.
#pragma once

#include <string>

namespace clipsearch::text {

// ftfy.fix_encoding(text).
std::u32string ftfy_fix_encoding(const std::u32string& text);

// ftfy.fixes.fix_c1_controls: U+0080..U+009F read as sloppy Windows-1252 bytes.
void ftfy_fix_c1_controls(std::u32string* text);

}  // namespace clipsearch::text
