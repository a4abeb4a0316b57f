#include "text/open_clip_clean.h"

#include <utf8proc.h>

#include <algorithm>
#include <cctype>

#include "text/ftfy_encoding.h"
#include "text/html_unescape.h"
#include "text/unicode.h"

namespace clipsearch::text {
namespace {

// ref: ftfy fix_latin_ligatures: Latin ligatures and digraphs taken apart.
struct Ligature {
  char32_t from;
  const char32_t* to;
};
constexpr Ligature kLigatures[] = {
    {0x132, U"IJ"},       {0x133, U"ij"},  {0x149, U"\u02BCn"}, {0x1F1, U"DZ"},
    {0x1F2, U"Dz"},       {0x1F3, U"dz"},  {0x1C4, U"D\u017D"}, {0x1C5, U"D\u017E"},
    {0x1C6, U"d\u017E"},  {0x1C7, U"LJ"},  {0x1C8, U"Lj"},      {0x1C9, U"lj"},
    {0x1CA, U"NJ"},       {0x1CB, U"Nj"},  {0x1CC, U"nj"},      {0xFB00, U"ff"},
    {0xFB01, U"fi"},      {0xFB02, U"fl"}, {0xFB03, U"ffi"},    {0xFB04, U"ffl"},
    {0xFB05, U"\u017Ft"}, {0xFB06, U"st"},
};

// ref: ftfy remove_control_chars.
bool is_removed_control(char32_t c) {
  return c <= 0x08 || c == 0x0B || (c >= 0x0E && c <= 0x1F) || c == 0x7F ||
         (c >= 0x206A && c <= 0x206F) || c == 0xFEFF || (c >= 0xFFF9 && c <= 0xFFFC);
}

bool is_decimal_digit(char32_t c) {  // Python re's \d
  return utf8proc_category(static_cast<utf8proc_int32_t>(c)) == UTF8PROC_CATEGORY_ND;
}

// The character-level fixes of one pass, in ftfy's order (fix_and_explain).
std::u32string fix_once(const std::u32string& in, bool unescape) {
  std::u32string t = ftfy_fix_encoding(unescape ? ftfy_unescape_html(in) : in);
  ftfy_fix_c1_controls(&t);
  std::u32string s;
  s.reserve(t.size());
  for (char32_t c : t) {  // fix_latin_ligatures
    const Ligature* lig = nullptr;
    if ((c >= 0x132 && c <= 0x1F3) || (c >= 0xFB00 && c <= 0xFB06)) {
      for (const auto& l : kLigatures) {
        if (l.from == c) lig = &l;
      }
    }
    if (lig != nullptr) {
      s += lig->to;
    } else {
      s.push_back(c);
    }
  }
  t.clear();
  for (char32_t c : s) {  // fix_character_width: U+3000 and NFKC of U+FF01..U+FFEF
    if (c == 0x3000) {
      t.push_back(' ');
    } else if (c >= 0xFF01 && c <= 0xFFEF) {
      t += nfkc_char(c);
    } else {
      t.push_back(c);
    }
  }
  for (char32_t& c : t) {  // uncurl_quotes
    if (c == 0x2BC || (c >= 0x2018 && c <= 0x201B)) c = '\'';
    if (c >= 0x201C && c <= 0x201F) c = '"';
  }
  s.clear();
  for (size_t i = 0; i < t.size(); ++i) {  // fix_line_breaks
    char32_t c = t[i];
    if (c == '\r' && i + 1 < t.size() && t[i + 1] == '\n') continue;
    s.push_back(c == '\r' || c == 0x2028 || c == 0x2029 || c == 0x85 ? U'\n' : c);
  }
  t.clear();
  for (size_t i = 0; i < s.size();) {  // remove_terminal_escapes: \033\[(\d|;)*[a-zA-Z]
    if (s[i] == 0x1B && i + 1 < s.size() && s[i + 1] == '[') {
      size_t k = i + 2;
      while (k < s.size() && (s[k] == ';' || is_decimal_digit(s[k]))) ++k;
      if (k < s.size() && (s[k] | 0x20) >= 'a' && (s[k] | 0x20) <= 'z') {
        i = k + 1;
        continue;
      }
    }
    t.push_back(s[i++]);
  }
  s.clear();
  for (char32_t c : t) {  // remove_control_chars
    if (!is_removed_control(c)) s.push_back(c);
  }
  nfc_in_place(&s);
  return s;
}

std::u32string python_strip(const std::u32string& s) {
  size_t b = 0, e = s.size();
  while (b < e && is_python_space(s[b])) ++b;
  while (e > b && is_python_space(s[e - 1])) --e;
  return s.substr(b, e - b);
}

}  // namespace

std::u32string ftfy_fix_text(const std::u32string& text) {
  // ref: ftfy.fix_text: segments end after each '\n' (or after max_decode_length characters);
  // once a segment holds '<', HTML unescaping stays off for the rest of the text.
  constexpr size_t kMaxDecodeLength = 1000000;
  std::u32string out;
  bool unescape = true;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find(U'\n', pos);
    size_t end = nl == std::u32string::npos ? text.size() : nl + 1;
    end = std::min(end, pos + kMaxDecodeLength);
    std::u32string seg = text.substr(pos, end - pos);
    if (seg.find(U'<') != std::u32string::npos) unescape = false;
    while (true) {
      std::u32string fixed = fix_once(seg, unescape);
      if (fixed == seg) break;
      seg = std::move(fixed);
    }
    out += seg;
    pos = end;
  }
  return out;
}

const char* open_clip_clean_name(OpenClipClean clean) {
  switch (clean) {
    case OpenClipClean::kLower:
      return "lower";
    case OpenClipClean::kWhitespace:
      return "whitespace";
    case OpenClipClean::kCanonicalize:
      return "canonicalize";
  }
  return "?";
}

bool parse_open_clip_clean(const std::string& name, OpenClipClean* clean) {
  for (OpenClipClean c :
       {OpenClipClean::kLower, OpenClipClean::kWhitespace, OpenClipClean::kCanonicalize}) {
    if (name == open_clip_clean_name(c)) {
      *clean = c;
      return true;
    }
  }
  return false;
}

std::u32string open_clip_clean(const std::u32string& text, OpenClipClean clean) {
  // basic_clean
  std::u32string s = ftfy_fix_text(text);
  s = html_unescape(html_unescape(s));
  s = python_strip(s);
  if (clean == OpenClipClean::kCanonicalize) {
    // ref: canonicalize_text: '_' to ' ', string.punctuation removed, lower(), then as
    // whitespace_clean.
    std::u32string kept;
    kept.reserve(s.size());
    for (char32_t c : s) {
      if (c == '_') {
        kept.push_back(' ');
      } else if (c >= 0x21 && c <= 0x7E && !std::isalnum(static_cast<int>(c))) {
        continue;  // string.punctuation: the printable ASCII that is neither letter nor digit
      } else {
        kept.push_back(c);
      }
    }
    s = python_lower(kept);
  }
  // whitespace_clean: regex \s+ -> ' ', strip
  std::u32string w;
  w.reserve(s.size());
  bool in_run = false;
  for (char32_t c : s) {
    if (is_white_space(c)) {
      if (!in_run) w.push_back(' ');
      in_run = true;
    } else {
      w.push_back(c);
      in_run = false;
    }
  }
  w = python_strip(w);
  return clean == OpenClipClean::kLower ? python_lower(w) : w;
}

}  // namespace clipsearch::text
