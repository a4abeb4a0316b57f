// Which files are camera RAWs, from their first bytes and first IFD alone (no LibRaw): the
// magic bytes of the RAWs that have their own, and for TIFF-based ones DNGVersion, CR2's magic or
// the camera maker's name (raw.h says how each is used). Every read is bounds-checked.
#include <algorithm>
#include <cctype>
#include <cstring>

#include "image/raw.h"

namespace clipsearch {
namespace {

bool starts(const uint8_t* d, size_t n, const char* magic, size_t len, size_t at = 0) {
  return n >= at + len && std::memcmp(d + at, magic, len) == 0;
}

struct Ifd0 {
  bool dng = false;
  char make[32] = "";
};

uint32_t u16(const uint8_t* p, bool le) { return le ? p[0] | (p[1] << 8) : (p[0] << 8) | p[1]; }
uint32_t u32(const uint8_t* p, bool le) {
  return le ? u16(p, true) | (u16(p + 2, true) << 16) : (u16(p, false) << 16) | u16(p + 2, false);
}

// Make (0x010F, ASCII) and DNGVersion (0xC612) from IFD0; false where the IFD is not readable.
bool read_ifd0(const uint8_t* d, size_t n, Ifd0* out) {
  if (n < 8) return false;
  const bool le = d[0] == 'I';
  const size_t at = u32(d + 4, le);
  if (at > n || n - at < 2) return false;
  const size_t count = u16(d + at, le);
  if ((n - at - 2) / 12 < count) return false;
  for (size_t i = 0; i < count; ++i) {
    const uint8_t* e = d + at + 2 + i * 12;
    const uint32_t tag = u16(e, le);
    if (tag == 0xC612) out->dng = true;
    if (tag != 0x010F || u16(e + 2, le) != 2) continue;
    const size_t len = u32(e + 4, le);
    const size_t where = len <= 4 ? static_cast<size_t>(e + 8 - d) : u32(e + 8, le);
    if (where > n || n - where < len) continue;
    const size_t copy = std::min(len, sizeof out->make - 1);
    std::memcpy(out->make, d + where, copy);
    out->make[copy] = '\0';
  }
  return true;
}

// Camera makers whose TIFF-based files are RAWs, and each one's usual extension.
struct Maker {
  const char* prefix;
  const char* name;
};
constexpr Maker kMakers[] = {
    {"NIKON", "NEF"},      {"SONY", "ARW"},      {"PENTAX", "PEF"},    {"RICOH", "PEF"},
    {"CANON", "CR2"},      {"OLYMPUS", "ORF"},   {"PANASONIC", "RW2"}, {"LEICA", "RAW"},
    {"SAMSUNG", "SRW"},    {"KODAK", "DCR"},     {"EASTMAN", "DCR"},   {"FUJIFILM", "RAF"},
    {"HASSELBLAD", "3FR"}, {"PHASE ONE", "IIQ"}, {"LEAF", "MOS"},      {"MAMIYA", "MEF"},
    {"MINOLTA", "MRW"},    {"KONICA", "MRW"},    {"SIGMA", "X3F"},     {"EPSON", "ERF"}};

const char* maker_name(const char* make) {
  for (const Maker& m : kMakers) {
    const size_t len = std::strlen(m.prefix);
    bool same = std::strlen(make) >= len;
    for (size_t i = 0; same && i < len; ++i) {
      same = std::toupper(static_cast<unsigned char>(make[i])) == m.prefix[i];
    }
    if (same) return m.name;
  }
  return nullptr;
}

}  // namespace

bool raw_magic(const uint8_t* d, size_t n) {
  return starts(d, n, "FUJIFILMCCD-RAW", 15) ||                                            // RAF
         (starts(d, n, "ftyp", 4, 4) && starts(d, n, "crx ", 4, 8)) ||                     // CR3
         starts(d, n, "IIRO", 4) || starts(d, n, "IIRS", 4) || starts(d, n, "MMOR", 4) ||  // ORF
         starts(d, n, "IIU\0", 4) ||                                                       // RW2
         starts(d, n, "\0MRM", 4);                                                         // MRW
}

RawSignature raw_signature(const uint8_t* d, size_t n) {
  RawSignature s;
  s.certain = true;
  if (starts(d, n, "FUJIFILMCCD-RAW", 15)) s.name = "RAF";
  if (starts(d, n, "ftyp", 4, 4) && starts(d, n, "crx ", 4, 8)) s.name = "CR3";
  if (starts(d, n, "IIRO", 4) || starts(d, n, "IIRS", 4) || starts(d, n, "MMOR", 4)) s.name = "ORF";
  if (starts(d, n, "IIU\0", 4)) s.name = "RW2";
  if (starts(d, n, "\0MRM", 4)) s.name = "MRW";
  if (s.name) return s;
  if (!starts(d, n, "II*\0", 4) && !starts(d, n, "MM\0*", 4)) return {};
  Ifd0 ifd;
  const bool readable = read_ifd0(d, n, &ifd);
  if (ifd.dng) {
    s.name = "DNG";
  } else if (starts(d, n, "CR\x02\0", 4, 8)) {
    s.name = "CR2";
  } else if (readable && (s.name = maker_name(ifd.make)) != nullptr) {
    s.certain = false;
  }
  return s;
}

const char* raw_format_name(const uint8_t* d, size_t n) {
  const RawSignature s = raw_signature(d, n);
  return s.name ? s.name : "RAW";
}

}  // namespace clipsearch
