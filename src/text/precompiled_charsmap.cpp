#include "text/precompiled_charsmap.h"

#include <utf8proc.h>

#include <cstring>

#include "text/utf8.h"

namespace clipsearch::text {

namespace {

// ref: darts-clone's DoubleArrayUnit, as spm_precompiled reads it.
bool unit_has_leaf(uint32_t u) { return ((u >> 8) & 1) != 0; }
uint32_t unit_value(uint32_t u) { return u & ((1u << 31) - 1); }
uint32_t unit_label(uint32_t u) { return u & ((1u << 31) | 0xFF); }
uint32_t unit_offset(uint32_t u) { return (u >> 10) << ((u & (1u << 9)) >> 6); }

int base64_digit(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Length of the UTF-8 sequence that starts with `lead` (the text is valid UTF-8).

char32_t utf8_code_point(std::string_view s, size_t i, size_t n) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data() + i);
  if (n == 1) return p[0];
  if (n == 2) return ((p[0] & 0x1Fu) << 6) | (p[1] & 0x3Fu);
  if (n == 3) return ((p[0] & 0x0Fu) << 12) | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3Fu);
  return ((p[0] & 0x07u) << 18) | ((p[1] & 0x3Fu) << 12) | ((p[2] & 0x3Fu) << 6) | (p[3] & 0x3Fu);
}

}  // namespace

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    int d[4];
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      unsigned char c = static_cast<unsigned char>(text[i + k]);
      if (c == '=' && i + 4 == text.size() && k >= 2) {
        d[k] = 0;
        ++pad;
        continue;
      }
      if (pad != 0) return std::nullopt;  // data after '='
      d[k] = base64_digit(c);
      if (d[k] < 0) return std::nullopt;
    }
    uint32_t v = (static_cast<uint32_t>(d[0]) << 18) | (static_cast<uint32_t>(d[1]) << 12) |
                 (static_cast<uint32_t>(d[2]) << 6) | static_cast<uint32_t>(d[3]);
    // Canonical padding only: the bits that padding drops must be zero.
    if ((pad == 1 && (v & 0xFF) != 0) || (pad == 2 && (v & 0xFFFF) != 0)) return std::nullopt;
    out.push_back(static_cast<char>(v >> 16));
    if (pad < 2) out.push_back(static_cast<char>((v >> 8) & 0xFF));
    if (pad < 1) out.push_back(static_cast<char>(v & 0xFF));
  }
  return out;
}

Result<PrecompiledCharsmap> PrecompiledCharsmap::parse(std::string_view blob,
                                                       const std::string& what) {
  PrecompiledCharsmap map;
  if (blob.size() < 4) return Status::corruption(what + ": shorter than its 4-byte trie size");
  uint32_t trie_bytes = 0;
  for (int k = 3; k >= 0; --k) trie_bytes = (trie_bytes << 8) | static_cast<unsigned char>(blob[k]);
  if (trie_bytes % 4 != 0 || trie_bytes == 0) {
    return Status::corruption(what + ": trie size " + std::to_string(trie_bytes) +
                              " is not a positive multiple of 4");
  }
  if (trie_bytes > blob.size() - 4) {
    return Status::corruption(what + ": truncated trie (" + std::to_string(trie_bytes) +
                              " bytes declared, " + std::to_string(blob.size() - 4) + " present)");
  }
  map.units_.resize(trie_bytes / 4);
  for (size_t i = 0; i < map.units_.size(); ++i) {
    const auto* p = reinterpret_cast<const unsigned char*>(blob.data() + 4 + 4 * i);
    map.units_[i] = static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
                    (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
  }
  map.replacements_ = std::string(blob.substr(4 + trie_bytes));
  std::u32string decoded;
  if (utf8_decode(map.replacements_, &decoded) != 0) {
    return Status::corruption(what + ": replacement strings are not valid UTF-8");
  }
  // Walk every reachable node so that lookups can trust the array: each child and leaf index
  // inside it, each value the start of a replacement string.
  const size_t n = map.units_.size();
  if (unit_offset(map.units_[0]) >= n) {
    return Status::corruption(what + ": the trie's root points outside the trie");
  }
  std::vector<uint8_t> seen(n, 0);
  std::vector<uint32_t> stack{unit_offset(map.units_[0])};
  while (!stack.empty()) {
    uint32_t node = stack.back();
    stack.pop_back();
    if (node >= n || seen[node]) continue;
    seen[node] = 1;
    for (uint32_t c = 1; c < 256; ++c) {
      uint32_t child = node ^ c;
      if (child >= n || unit_label(map.units_[child]) != c) continue;
      uint32_t next = child ^ unit_offset(map.units_[child]);
      if (next >= n) {
        return Status::corruption(what + ": trie unit " + std::to_string(child) +
                                  " points outside the trie");
      }
      if (unit_has_leaf(map.units_[child])) {
        uint32_t value = unit_value(map.units_[next]);
        if (value >= map.replacements_.size() ||
            (static_cast<unsigned char>(map.replacements_[value]) & 0xC0) == 0x80) {
          return Status::corruption(what + ": trie value " + std::to_string(value) +
                                    " is not the start of a replacement string");
        }
      }
      stack.push_back(next);
    }
  }
  return map;
}

std::optional<std::string_view> PrecompiledCharsmap::transform(std::string_view chunk) const {
  const size_t n = units_.size();
  uint32_t node = unit_offset(units_[0]);
  for (unsigned char c : chunk) {
    if (c == 0) break;
    uint32_t child = node ^ c;
    if (child >= n || unit_label(units_[child]) != c) return std::nullopt;
    node = child ^ unit_offset(units_[child]);
    if (unit_has_leaf(units_[child])) {
      // ref: spm_precompiled takes the first (shortest) match.
      const char* begin = replacements_.data() + unit_value(units_[node]);
      return std::string_view(begin,
                              strnlen(begin, replacements_.data() + replacements_.size() - begin));
    }
  }
  return std::nullopt;
}

std::optional<std::pair<size_t, std::string_view>> PrecompiledCharsmap::longest_prefix(
    std::string_view text) const {
  const size_t n = units_.size();
  std::optional<std::pair<size_t, std::string_view>> found;
  uint32_t node = unit_offset(units_[0]);
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == 0) break;
    const uint32_t child = node ^ c;
    if (child >= n || unit_label(units_[child]) != c) break;
    node = child ^ unit_offset(units_[child]);
    if (unit_has_leaf(units_[child])) {
      const char* begin = replacements_.data() + unit_value(units_[node]);
      found.emplace(
          i + 1, std::string_view(
                     begin, strnlen(begin, replacements_.data() + replacements_.size() - begin)));
    }
  }
  return found;
}

void PrecompiledCharsmap::normalize(std::string_view text, std::string* out) const {
  utf8proc_int32_t state = 0;
  size_t i = 0;
  while (i < text.size()) {
    // One extended grapheme cluster: [i, end).
    size_t end = i + utf8_sequence_length(static_cast<unsigned char>(text[i]));
    char32_t prev = utf8_code_point(text, i, end - i);
    while (end < text.size()) {
      size_t len = utf8_sequence_length(static_cast<unsigned char>(text[end]));
      char32_t next = utf8_code_point(text, end, len);
      if (utf8proc_grapheme_break_stateful(static_cast<utf8proc_int32_t>(prev),
                                           static_cast<utf8proc_int32_t>(next), &state)) {
        break;
      }
      prev = next;
      end += len;
    }
    std::string_view grapheme = text.substr(i, end - i);
    i = end;
    // ref: tokenizers precompiled.rs: "if grapheme.len() < 6" (bytes), then per character.
    if (grapheme.size() < 6) {
      if (auto norm = transform(grapheme)) {
        out->append(*norm);
        continue;
      }
    }
    for (size_t k = 0; k < grapheme.size();) {
      std::string_view ch =
          grapheme.substr(k, utf8_sequence_length(static_cast<unsigned char>(grapheme[k])));
      if (auto norm = transform(ch)) {
        out->append(*norm);
      } else {
        out->append(ch);
      }
      k += ch.size();
    }
  }
}

}  // namespace clipsearch::text
