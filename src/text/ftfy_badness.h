// ftfy's mojibake detectors, for the encoding repair in ftfy_encoding.cpp.
//
// ref: ftfy 6.3.1 badness.is_bad (a search for BADNESS_RE: unlikely pairs and triples of the
// characters that UTF-8 read as a single-byte codec produces) and chardata.UTF8_DETECTOR_RE
// (runs of what look like UTF-8 sequences decoded one byte per character). The character
// classes are generated from ftfy's own data (ftfy_char_classes.inc, scripts/gen_ftfy_tables.py);
// the rules that combine them are written out here. Pure functions, thread-safe.
#pragma once

#include <cstddef>
#include <string_view>
#include <utility>
#include <vector>

namespace clipsearch::text {

// True when some unlikely sequence occurs in text (ftfy.badness.is_bad).
bool ftfy_is_bad(std::u32string_view text);

// The matches of UTF8_DETECTOR_RE in text, as [begin, end) index pairs in the order and with
// the non-overlapping rule of re.sub.
std::vector<std::pair<size_t, size_t>> ftfy_utf8_mojibake_spans(std::u32string_view text);

}  // namespace clipsearch::text
