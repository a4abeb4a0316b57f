#include "core/path_json.h"

#include <cstdint>
#include <cstdio>

namespace clipsearch {
namespace {

// Length of the valid UTF-8 sequence at s[i] (1-4), or 0 when the byte starts none.
size_t utf8_length(const std::string& s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  const uint8_t c = b(i);
  const size_t left = s.size() - i;
  auto cont = [&](size_t k) { return (b(i + k) & 0xC0) == 0x80; };
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return left >= 2 && cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (left < 3 || !cont(1) || !cont(2)) return 0;
    if (c == 0xE0 && b(i + 1) < 0xA0) return 0;   // overlong
    if (c == 0xED && b(i + 1) >= 0xA0) return 0;  // UTF-16 surrogates
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (left < 4 || !cont(1) || !cont(2) || !cont(3)) return 0;
    if (c == 0xF0 && b(i + 1) < 0x90) return 0;   // overlong
    if (c == 0xF4 && b(i + 1) >= 0x90) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void append_utf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    *out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    *out += static_cast<char>(0xC0 | (cp >> 6));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    *out += static_cast<char>(0xE0 | (cp >> 12));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    *out += static_cast<char>(0xF0 | (cp >> 18));
    *out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

}  // namespace

std::string path_json(const std::string& s) {
  std::string out = "\"";
  char buf[8];
  for (size_t i = 0; i < s.size();) {
    const uint8_t c = static_cast<uint8_t>(s[i]);
    const size_t n = utf8_length(s, i);
    if (n == 0) {
      std::snprintf(buf, sizeof buf, "\\udc%02x", c);
      out += buf;
      ++i;
      continue;
    }
    if (n == 1) {
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        default:
          if (c < 0x20 || c == 0x7F) {
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
          } else {
            out += static_cast<char>(c);
          }
      }
    } else {
      out.append(s, i, n);
    }
    i += n;
  }
  return out + "\"";
}

bool path_from_json(const std::string& t, std::string* bytes) {
  bytes->clear();
  if (t.size() < 2 || t.front() != '"' || t.back() != '"') return false;
  for (size_t i = 1; i + 1 < t.size(); ++i) {
    if (t[i] != '\\') {
      *bytes += t[i];
      continue;
    }
    if (++i + 1 >= t.size()) return false;
    switch (t[i]) {
      case '"':
        *bytes += '"';
        break;
      case '\\':
        *bytes += '\\';
        break;
      case '/':
        *bytes += '/';
        break;
      case 'n':
        *bytes += '\n';
        break;
      case 'r':
        *bytes += '\r';
        break;
      case 't':
        *bytes += '\t';
        break;
      case 'b':
        *bytes += '\b';
        break;
      case 'f':
        *bytes += '\f';
        break;
      case 'u': {
        if (i + 4 > t.size() - 2) return false;
        uint32_t cp = 0;
        for (int k = 1; k <= 4; ++k) {
          const int h = hex_value(t[i + k]);
          if (h < 0) return false;
          cp = cp * 16 + static_cast<uint32_t>(h);
        }
        i += 4;
        if (cp >= 0xDC80 && cp <= 0xDCFF) {
          *bytes += static_cast<char>(cp - 0xDC00);  // surrogateescape: the raw byte
        } else if (cp >= 0xD800 && cp <= 0xDBFF && i + 6 < t.size() && t[i + 1] == '\\' &&
                   t[i + 2] == 'u') {
          uint32_t lo = 0;
          for (int k = 3; k <= 6; ++k) {
            const int h = hex_value(t[i + k]);
            if (h < 0) return false;
            lo = lo * 16 + static_cast<uint32_t>(h);
          }
          i += 6;
          append_utf8(0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00), bytes);
        } else {
          append_utf8(cp, bytes);
        }
        break;
      }
      default:
        return false;
    }
  }
  return true;
}

}  // namespace clipsearch
