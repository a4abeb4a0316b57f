#include "text/ftfy_encoding.h"

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <string_view>

#include "text/ftfy_badness.h"

namespace clipsearch::text {
namespace {

constexpr int kMaxEncodings = 16;

struct FtfyEncoding {
  const char* name;
  bool sloppy;    // replace_lossy_sequences applies
  bool macroman;  // restore_byte_a0 does not apply
};

struct FtfyCodecChar {
  char32_t code_point;
  uint16_t encodings;            // bit i: kFtfyEncodings[i] can encode it
  uint8_t bytes[kMaxEncodings];  // its byte in each of them
};

#include "text/ftfy_codecs.inc"

static_assert(kFtfyEncodingCount <= kMaxEncodings);
constexpr uint32_t kAllEncodings = (1u << kFtfyEncodingCount) - 1;
constexpr int kLatin1 = 0;  // kFtfyEncodings[0]

const FtfyCodecChar* codec_char(char32_t c) {
  const FtfyCodecChar* end = std::end(kFtfyCodecChars);
  const FtfyCodecChar* it =
      std::lower_bound(std::begin(kFtfyCodecChars), end, c,
                       [](const FtfyCodecChar& e, char32_t v) { return e.code_point < v; });
  return it != end && it->code_point == c ? it : nullptr;
}

// ref: ftfy.chardata.possible_encoding: the codecs that could have produced every character.
uint32_t possible_encodings(const std::u32string& text) {
  uint32_t mask = kAllEncodings;
  for (char32_t c : text) {
    if (c < 0x80 && c != 0x1A) continue;
    const FtfyCodecChar* e = codec_char(c);
    mask &= e != nullptr ? e->encodings : 0;
    if (mask == 0) break;
  }
  return mask;
}

std::string encode(const std::u32string& text, int encoding) {
  std::string bytes;
  bytes.reserve(text.size());
  for (char32_t c : text) {
    bytes.push_back(static_cast<char>(c < 0x80 && c != 0x1A ? c : codec_char(c)->bytes[encoding]));
  }
  return bytes;
}

uint8_t byte_at(const std::string& b, size_t i) {
  return i < b.size() ? static_cast<uint8_t>(b[i]) : 0;  // 0 matches no pattern below
}
bool in(uint8_t b, uint8_t lo, uint8_t hi) { return b >= lo && b <= hi; }
bool continuation(uint8_t b) { return in(b, 0x80, 0xBF); }

// ref: ftfy.fixes.restore_byte_a0. First "Ã " that is not Portuguese "à" becomes "à " (C3 A0 20);
// then in the sequences of chardata.ALTERED_UTF8_RE the space becomes A0 again.
std::string restore_byte_a0(const std::string& in_bytes) {
  std::string b;
  b.reserve(in_bytes.size() + 8);
  for (size_t i = 0; i < in_bytes.size(); ++i) {
    b.push_back(in_bytes[i]);
    if (byte_at(in_bytes, i) == 0xC3 && byte_at(in_bytes, i + 1) == ' ') {
      std::string_view rest = std::string_view(in_bytes).substr(i + 2);
      bool excluded = rest.starts_with(' ') || rest.starts_with("quele") ||
                      rest.starts_with("quela") || rest.starts_with("quilo") ||
                      rest.starts_with("s ");
      if (!excluded) {
        b += "\xA0 ";
        ++i;
      }
    }
  }
  auto cont = [](uint8_t x) { return in(x, 0x80, 0x84) || in(x, 0x86, 0x9F) || in(x, 0xA1, 0xBF); };
  std::string out;
  out.reserve(b.size());
  for (size_t i = 0; i < b.size();) {
    uint8_t c = byte_at(b, i), c1 = byte_at(b, i + 1), c2 = byte_at(b, i + 2),
            c3 = byte_at(b, i + 3);
    size_t len = 0;
    if ((c == 0xC2 || c == 0xC3 || c == 0xC5 || c == 0xCE || c == 0xD0 || c == 0xD9) && c1 == ' ') {
      len = 2;
    } else if ((c == 0xE2 || c == 0xE3) && c1 == ' ' && cont(c2)) {
      len = 3;
    } else if (in(c, 0xE0, 0xE3) && cont(c1) && c2 == ' ') {
      len = 3;
    } else if (c == 0xF0 && ((c1 == ' ' && continuation(c2) && continuation(c3)) ||
                             (continuation(c1) && c2 == ' ' && continuation(c3)) ||
                             (continuation(c1) && continuation(c2) && c3 == ' '))) {
      len = 4;
    }
    if (len == 0) {
      out.push_back(b[i++]);
      continue;
    }
    for (size_t k = i; k < i + len; ++k) out.push_back(b[k] == ' ' ? '\xA0' : b[k]);
    i += len;
  }
  return out;
}

// ref: ftfy.chardata.LOSSY_UTF8_RE, its alternatives in order: the length of the UTF-8-like
// sequence with lost bytes (0x1A, sometimes '?') that starts at i, or 0.
size_t lossy_sequence_length(const std::string& b, size_t i) {
  uint8_t c0 = byte_at(b, i), c1 = byte_at(b, i + 1), c2 = byte_at(b, i + 2),
          c3 = byte_at(b, i + 3), c4 = byte_at(b, i + 4), c5 = byte_at(b, i + 5);
  auto sub = [](uint8_t x) { return x == 0x1A; };
  auto lost = [](uint8_t x) { return x == 0x1A || x == '?'; };
  auto sub_or_cont = [](uint8_t x) { return x == 0x1A || continuation(x); };
  auto lost_or_cont = [](uint8_t x) { return x == 0x1A || x == '?' || continuation(x); };
  if (in(c0, 0xC2, 0xDF) && sub(c1)) return 2;
  if (in(c0, 0xC2, 0xC3) && c1 == '?') return 2;
  if (c0 == 0xED && in(c1, 0xA0, 0xAF) && c3 == 0xED && in(c4, 0xB0, 0xBF) &&
      ((lost(c2) && lost_or_cont(c5)) || (lost_or_cont(c2) && lost(c5))))
    return 6;
  if (in(c0, 0xE0, 0xEF) && ((lost(c1) && sub_or_cont(c2)) || (sub_or_cont(c1) && lost(c2))))
    return 3;
  if (in(c0, 0xF0, 0xF4) && ((lost(c1) && sub_or_cont(c2) && sub_or_cont(c3)) ||
                             (sub_or_cont(c1) && lost(c2) && sub_or_cont(c3)) ||
                             (sub_or_cont(c1) && sub_or_cont(c2) && lost(c3))))
    return 4;
  return sub(c0) ? 1 : 0;
}

// ref: ftfy.fixes.replace_lossy_sequences: each such sequence becomes U+FFFD.
std::string replace_lossy_sequences(const std::string& b) {
  std::string out;
  out.reserve(b.size() + 8);
  for (size_t i = 0; i < b.size();) {
    size_t len = lossy_sequence_length(b, i);
    if (len == 0) {
      out.push_back(b[i++]);
    } else {
      out += "\xEF\xBF\xBD";
      i += len;
    }
  }
  return out;
}

// Strict UTF-8 as Python decodes it, plus what ftfy's utf-8-variants codec adds: C0 80 for
// U+0000 and CESU-8 surrogate pairs. False where Python raises UnicodeDecodeError.
bool decode_utf8_variants(const std::string& b, std::u32string* out) {
  out->clear();
  for (size_t i = 0; i < b.size();) {
    uint8_t c = byte_at(b, i), c1 = byte_at(b, i + 1), c2 = byte_at(b, i + 2),
            c3 = byte_at(b, i + 3);
    if (c < 0x80) {
      out->push_back(c);
      i += 1;
    } else if (c == 0xC0) {
      if (c1 != 0x80) return false;
      out->push_back(0);
      i += 2;
    } else if (c == 0xED && in(c1, 0xA0, 0xBF)) {
      uint8_t c4 = byte_at(b, i + 4), c5 = byte_at(b, i + 5);
      if (!(in(c1, 0xA0, 0xAF) && continuation(c2) && c3 == 0xED && in(c4, 0xB0, 0xBF) &&
            continuation(c5)))
        return false;
      out->push_back(0x10000 + (static_cast<char32_t>(c1 & 0x0F) << 16) +
                     (static_cast<char32_t>(c2 & 0x3F) << 10) +
                     (static_cast<char32_t>(c4 & 0x0F) << 6) + (c5 & 0x3F));
      i += 6;
    } else if (in(c, 0xC2, 0xDF) && continuation(c1)) {
      out->push_back((static_cast<char32_t>(c & 0x1F) << 6) | (c1 & 0x3F));
      i += 2;
    } else if (in(c, 0xE0, 0xEF) && continuation(c1) && continuation(c2) &&
               (c != 0xE0 || c1 >= 0xA0) && (c != 0xED || c1 <= 0x9F)) {
      out->push_back((static_cast<char32_t>(c & 0x0F) << 12) |
                     (static_cast<char32_t>(c1 & 0x3F) << 6) | (c2 & 0x3F));
      i += 3;
    } else if (in(c, 0xF0, 0xF4) && continuation(c1) && continuation(c2) && continuation(c3) &&
               (c != 0xF0 || c1 >= 0x90) && (c != 0xF4 || c1 <= 0x8F)) {
      out->push_back((static_cast<char32_t>(c & 0x07) << 18) |
                     (static_cast<char32_t>(c1 & 0x3F) << 12) |
                     (static_cast<char32_t>(c2 & 0x3F) << 6) | (c3 & 0x3F));
      i += 4;
    } else {
      return false;
    }
  }
  return true;
}

bool all_ascii(const std::u32string& text) {
  return std::all_of(text.begin(), text.end(), [](char32_t c) { return c < 0x80; });
}

// ref: ftfy.fixes.decode_inconsistent_utf8: each detected run that is shorter than the text and
// looks bad gets the whole repair on its own.
std::u32string decode_inconsistent_utf8(const std::u32string& text) {
  std::u32string out;
  size_t pos = 0;
  for (auto [begin, end] : ftfy_utf8_mojibake_spans(text)) {
    out.append(text, pos, begin - pos);
    std::u32string piece = text.substr(begin, end - begin);
    out += piece.size() < text.size() && ftfy_is_bad(piece) ? ftfy_fix_encoding(piece) : piece;
    pos = end;
  }
  out.append(text, pos);
  return out;
}

// ref: ftfy._fix_encoding_one_step_and_explain.
std::u32string fix_encoding_step(const std::u32string& text) {
  if (text.empty() || all_ascii(text) || !ftfy_is_bad(text)) return text;
  const uint32_t possible = possible_encodings(text);
  std::u32string fixed;
  for (int e = 0; e < kFtfyEncodingCount; ++e) {
    if (!(possible & (1u << e))) continue;
    std::string bytes = encode(text, e);
    if (!kFtfyEncodings[e].macroman) bytes = restore_byte_a0(bytes);
    if (kFtfyEncodings[e].sloppy) bytes = replace_lossy_sequences(bytes);
    if (decode_utf8_variants(bytes, &fixed)) return fixed;
  }
  fixed = decode_inconsistent_utf8(text);
  if (fixed != text) return fixed;
  if (possible & (1u << kLatin1)) {
    // Latin-1 back to bytes, then strict Windows-1252, which fails on its five holes.
    fixed = text;
    bool decodes = true;
    for (char32_t& c : fixed) {
      if (c < 0x80 || c > 0x9F) continue;
      char32_t w = kFtfySloppyWindows1252High[c - 0x80];
      if (w == c) decodes = false;
      c = w;
    }
    if (decodes && fixed != text) return fixed;
  }
  fixed = text;
  ftfy_fix_c1_controls(&fixed);
  return fixed;
}

}  // namespace

void ftfy_fix_c1_controls(std::u32string* text) {
  for (char32_t& c : *text) {
    if (c >= 0x80 && c <= 0x9F) c = kFtfySloppyWindows1252High[c - 0x80];
  }
}

std::u32string ftfy_fix_encoding(const std::u32string& text) {
  std::u32string current = text;
  while (true) {
    std::u32string next = fix_encoding_step(current);
    if (next == current) return current;
    current = std::move(next);
  }
}

}  // namespace clipsearch::text
