// HTML character references, decoded as the two Python functions that open_clip's cleaning
// runs: html.unescape() (HTML5 rules: named references with or without ';' for the legacy
// names, decimal and hex references with the WHATWG replacements) and ftfy's stricter
// unescape step (only complete "&name;" / "&#num;" forms, plus all-caps names such as
// "&EACUTE;"). Pure functions, thread-safe.
#pragma once

#include <string>

namespace clipsearch::text {

// ref: Python 3.11 html.unescape.
std::u32string html_unescape(const std::u32string& text);

// ref: ftfy 6.3 fixes.unescape_html.
std::u32string ftfy_unescape_html(const std::u32string& text);

}  // namespace clipsearch::text
