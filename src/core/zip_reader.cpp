#include "core/zip_reader.h"

#include <algorithm>
#include <vector>

namespace clipsearch {
namespace {

// ref: PKWARE APPNOTE.TXT 6.3.10, sections 4.3.7 (local header), 4.3.12 (central header),
// 4.3.14-4.3.16 (zip64 and classic end of central directory records).
constexpr uint32_t kLocalMagic = 0x04034b50;
constexpr uint32_t kCentralMagic = 0x02014b50;
constexpr uint32_t kEndMagic = 0x06054b50;
constexpr uint32_t kEnd64Magic = 0x06064b50;
constexpr uint32_t kEnd64LocatorMagic = 0x07064b50;
constexpr size_t kEndSize = 22;
constexpr size_t kCentralSize = 46;
constexpr size_t kLocalSize = 30;

uint16_t u16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
uint32_t u32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}
uint64_t u64(const uint8_t* p) { return u32(p) | (static_cast<uint64_t>(u32(p + 4)) << 32); }

// True when [offset, offset + length) lies inside a buffer of `size` bytes.
bool inside(uint64_t offset, uint64_t length, size_t size) {
  return offset <= size && length <= size - offset;
}

struct Directory {
  uint64_t count = 0;
  uint64_t offset = 0;
  uint64_t size = 0;
};

Result<Directory> find_directory(const uint8_t* bytes, size_t size, const std::string& name) {
  if (size < kEndSize) return Status::corruption(name + ": too small to be a zip archive");
  // The end record is last, followed by a comment of at most 65535 bytes.
  const size_t lowest = size > kEndSize + 65535 ? size - kEndSize - 65535 : 0;
  size_t end = size - kEndSize + 1;
  bool found = false;
  while (end-- > lowest) {
    if (u32(bytes + end) == kEndMagic && end + kEndSize + u16(bytes + end + 20) == size) {
      found = true;
      break;
    }
  }
  if (!found) return Status::corruption(name + ": no zip end-of-central-directory record");
  const uint8_t* e = bytes + end;
  Directory dir{u16(e + 10), u32(e + 16), u32(e + 12)};
  if (u16(e + 4) != 0 || u16(e + 6) != 0) {
    return Status::unsupported(name + ": multi-disk zip archives are not supported");
  }
  const bool needs64 = dir.count == 0xffff || dir.offset == 0xffffffff || dir.size == 0xffffffff;
  if (needs64 && end >= 20 && u32(bytes + end - 20) == kEnd64LocatorMagic) {
    const uint64_t at = u64(bytes + end - 20 + 8);
    if (!inside(at, 56, size) || u32(bytes + at) != kEnd64Magic) {
      return Status::corruption(name + ": zip64 end record out of range");
    }
    dir = Directory{u64(bytes + at + 32), u64(bytes + at + 48), u64(bytes + at + 40)};
  }
  if (!inside(dir.offset, dir.size, size)) {
    return Status::corruption(name + ": central directory (offset " + std::to_string(dir.offset) +
                              ", " + std::to_string(dir.size) + " bytes) lies outside the file (" +
                              std::to_string(size) + " bytes)");
  }
  if (dir.count > dir.size / kCentralSize) {
    return Status::corruption(name + ": central directory claims " + std::to_string(dir.count) +
                              " entries in " + std::to_string(dir.size) + " bytes");
  }
  return dir;
}

// Applies a zip64 extended-information extra field to the fields that were saturated.
Status apply_zip64_extra(const uint8_t* extra, size_t length, uint64_t* usize, uint64_t* csize,
                         uint64_t* offset, const std::string& where) {
  size_t pos = 0;
  while (pos + 4 <= length) {
    const uint16_t id = u16(extra + pos);
    const uint16_t n = u16(extra + pos + 2);
    if (pos + 4 + n > length) break;
    if (id == 0x0001) {
      const uint8_t* f = extra + pos + 4;
      size_t used = 0;
      for (uint64_t* field : {usize, csize, offset}) {
        if (*field != 0xffffffff) continue;
        if (used + 8 > n) return Status::corruption(where + ": truncated zip64 extra field");
        *field = u64(f + used);
        used += 8;
      }
      return Status();
    }
    pos += 4 + n;
  }
  return Status();
}

}  // namespace

Result<std::map<std::string, ZipEntry>> zip_read_entries(const uint8_t* bytes, size_t size,
                                                         const std::string& name) {
  CLIPSEARCH_ASSIGN_OR_RETURN(Directory dir, find_directory(bytes, size, name));
  std::map<std::string, ZipEntry> entries;
  struct Span {
    uint64_t begin, end;
    std::string name;
  };
  std::vector<Span> spans;
  uint64_t pos = dir.offset;
  const uint64_t dir_end = dir.offset + dir.size;
  for (uint64_t i = 0; i < dir.count; ++i) {
    if (!inside(pos, kCentralSize, size) || pos + kCentralSize > dir_end ||
        u32(bytes + pos) != kCentralMagic) {
      return Status::corruption(name + ": central directory entry " + std::to_string(i) +
                                " is damaged");
    }
    const uint8_t* c = bytes + pos;
    const uint16_t flags = u16(c + 8);
    const uint16_t method = u16(c + 10);
    uint64_t csize = u32(c + 20);
    uint64_t usize = u32(c + 24);
    const uint16_t name_len = u16(c + 28);
    const uint16_t extra_len = u16(c + 30);
    const uint16_t comment_len = u16(c + 32);
    uint64_t local = u32(c + 42);
    const uint64_t record = kCentralSize + name_len + extra_len + comment_len;
    if (!inside(pos, record, size) || pos + record > dir_end) {
      return Status::corruption(name + ": central directory entry " + std::to_string(i) +
                                " runs past the directory");
    }
    std::string entry(reinterpret_cast<const char*>(c + kCentralSize), name_len);
    const std::string where = name + ": entry '" + entry + "'";
    CLIPSEARCH_RETURN_IF_ERROR(
        apply_zip64_extra(c + kCentralSize + name_len, extra_len, &usize, &csize, &local, where));
    if (flags & 0x1) return Status::unsupported(where + " is encrypted");
    if (method != 0) {
      return Status::unsupported(where + " is compressed (method " + std::to_string(method) +
                                 "); only stored entries are read, as PyTorch writes them");
    }
    if (csize != usize) {
      return Status::corruption(where + ": stored sizes differ (" + std::to_string(csize) + " vs " +
                                std::to_string(usize) + ")");
    }
    if (!inside(local, kLocalSize, size) || u32(bytes + local) != kLocalMagic) {
      return Status::corruption(where + ": local header out of range or damaged");
    }
    const uint8_t* l = bytes + local;
    const uint64_t data = local + kLocalSize + u16(l + 26) + u16(l + 28);
    if (u16(l + 26) != name_len ||
        !std::equal(c + kCentralSize, c + kCentralSize + name_len, l + kLocalSize)) {
      return Status::corruption(where + ": local header names a different entry");
    }
    if (!inside(data, usize, size)) {
      return Status::corruption(where + ": data (offset " + std::to_string(data) + ", " +
                                std::to_string(usize) + " bytes) lies outside the file (" +
                                std::to_string(size) + " bytes)");
    }
    if (!entries.emplace(entry, ZipEntry{bytes + data, static_cast<size_t>(usize)}).second) {
      return Status::corruption(where + " appears twice");
    }
    spans.push_back({local, data + usize, entry});
    pos += record;
  }
  std::sort(spans.begin(), spans.end(),
            [](const Span& a, const Span& b) { return a.begin < b.begin; });
  for (size_t i = 1; i < spans.size(); ++i) {
    if (spans[i].begin < spans[i - 1].end) {
      return Status::corruption(name + ": entries '" + spans[i - 1].name + "' and '" +
                                spans[i].name + "' overlap");
    }
  }
  return entries;
}

}  // namespace clipsearch
