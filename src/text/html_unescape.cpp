#include "text/html_unescape.h"

#include <algorithm>
#include <cstdint>
#include <string_view>

namespace clipsearch::text {
namespace {

struct HtmlEntity {
  const char* name;  // without the leading '&'
  const char32_t* value;
};

#include "text/html_entities.inc"

template <size_t N>
const char32_t* find_entity(const HtmlEntity (&table)[N], std::string_view name) {
  const HtmlEntity* end = table + N;
  const HtmlEntity* it = std::lower_bound(
      table, end, name,
      [](const HtmlEntity& e, std::string_view n) { return std::string_view(e.name) < n; });
  return (it != end && std::string_view(it->name) == name) ? it->value : nullptr;
}

bool is_ascii_digit(char32_t c) { return c >= '0' && c <= '9'; }
bool is_hex_digit(char32_t c) {
  return is_ascii_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool is_ascii_alnum(char32_t c) {
  return is_ascii_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

// The replacement of numeric reference `num` (saturated above U+10FFFF).
// ref: html._replace_charref, numeric branch.
std::u32string numeric_replacement(uint64_t num) {
  for (const auto& r : kHtmlInvalidCharrefs) {
    if (r.from == num) return std::u32string(1, r.to);
  }
  if ((num >= 0xD800 && num <= 0xDFFF) || num > 0x10FFFF) return U"\uFFFD";
  if (std::binary_search(std::begin(kHtmlInvalidCodepoints), std::end(kHtmlInvalidCodepoints),
                         static_cast<uint32_t>(num))) {
    return U"";
  }
  return std::u32string(1, static_cast<char32_t>(num));
}

uint64_t parse_number(const std::u32string& s, size_t begin, size_t end, int base) {
  uint64_t v = 0;
  for (size_t i = begin; i < end; ++i) {
    char32_t c = s[i];
    uint64_t d = is_ascii_digit(c) ? c - '0' : (c | 0x20) - 'a' + 10;
    v = v * base + d;
    if (v > 0x10FFFF) v = 0x110000;  // saturate: any larger value gives U+FFFD as well
  }
  return v;
}

std::string ascii_name(const std::u32string& s, size_t begin, size_t end) {
  std::string name;
  for (size_t i = begin; i < end; ++i) {
    if (s[i] >= 0x80) return "";  // entity names are ASCII
    name.push_back(static_cast<char>(s[i]));
  }
  return name;
}

}  // namespace

std::u32string html_unescape(const std::u32string& s) {
  if (s.find(U'&') == std::u32string::npos) return s;
  std::u32string out;
  out.reserve(s.size());
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    if (s[i] != '&') {
      out.push_back(s[i++]);
      continue;
    }
    // ref: html._charref = &(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)
    size_t j = i + 1;
    if (j < n && s[j] == '#') {
      size_t k = j + 1;
      int base = 10;
      if (k < n && (s[k] == 'x' || s[k] == 'X') && k + 1 < n && is_hex_digit(s[k + 1])) {
        base = 16;
        ++k;
      }
      size_t digits = k;
      while (k < n && (base == 16 ? is_hex_digit(s[k]) : is_ascii_digit(s[k]))) ++k;
      if (k == digits) {  // no digits: not a reference; '&' stays
        out.push_back(s[i++]);
        continue;
      }
      out += numeric_replacement(parse_number(s, digits, k, base));
      if (k < n && s[k] == ';') ++k;
      i = k;
      continue;
    }
    size_t k = j;
    auto name_char = [](char32_t c) {
      return c != '\t' && c != '\n' && c != '\f' && c != ' ' && c != '<' && c != '&' && c != '#' &&
             c != ';';
    };
    while (k < n && k - j < 32 && name_char(s[k])) ++k;
    if (k == j) {
      out.push_back(s[i++]);
      continue;
    }
    size_t end = (k < n && s[k] == ';') ? k + 1 : k;  // the match: s[j, end)
    // ref: html._replace_charref, named branch: the whole name, else its longest prefix that
    // is an entity (only the legacy names without ';' can be), else unchanged.
    std::string name = ascii_name(s, j, end);
    const char32_t* value = name.empty() ? nullptr : find_entity(kHtmlEntities, name);
    if (value != nullptr) {
      out += value;
      i = end;
      continue;
    }
    bool replaced = false;
    for (size_t x = end - j - 1; x >= 2 && !replaced; --x) {
      std::string prefix = ascii_name(s, j, j + x);
      if (prefix.empty()) continue;
      if (const char32_t* v = find_entity(kHtmlEntities, prefix)) {
        out += v;
        out.append(s, j + x, end - (j + x));
        replaced = true;
      }
    }
    if (!replaced) out.append(s, i, end - i);
    i = end;
  }
  return out;
}

std::u32string ftfy_unescape_html(const std::u32string& s) {
  if (s.find(U'&') == std::u32string::npos) return s;
  std::u32string out;
  out.reserve(s.size());
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    if (s[i] != '&') {
      out.push_back(s[i++]);
      continue;
    }
    // ref: ftfy HTML_ENTITY_RE = &#?[0-9A-Za-z]{1,24};
    size_t j = i + 1;
    bool numeric = j < n && s[j] == '#';
    size_t k = numeric ? j + 1 : j;
    while (k < n && k - (numeric ? j + 1 : j) < 24 && is_ascii_alnum(s[k])) ++k;
    size_t len = k - (numeric ? j + 1 : j);
    if (len == 0 || k >= n || s[k] != ';') {
      out.push_back(s[i++]);
      continue;
    }
    size_t end = k + 1;
    std::string name = ascii_name(s, j, end);  // "amp;", "#x41;"
    const char32_t* value = numeric ? nullptr : find_entity(kHtmlEntities, name);
    if (value == nullptr && !numeric) value = find_entity(kHtmlUppercaseEntities, name);
    if (value != nullptr) {
      out += value;
    } else if (numeric) {
      // html.unescape of the whole match, kept only if it consumed the ';'.
      std::u32string match = s.substr(i, end - i);
      std::u32string un = html_unescape(match);
      if (un.find(U';') != std::u32string::npos) {
        out += match;
      } else {
        out += un;
      }
    } else {
      out.append(s, i, end - i);
    }
    i = end;
  }
  return out;
}

}  // namespace clipsearch::text
