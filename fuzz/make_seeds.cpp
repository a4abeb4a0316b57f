// Writes a small seed corpus for image_fuzz: one tiny image per format and layout (camera RAW as
// tiny DNGs), each prefixed with the option byte image_fuzz reads first. BMP and the TIFF modes
// with decoders of their own (RLE, 16-bit and bit-field BMPs; 12-bit, float, signed,
// photometric-less and Lab TIFFs) are written byte by byte: libvips cannot write them.
// Phone-structured HEIC/AVIF seeds come from tests/reference/make_heif_files.py --fuzz-seeds
// (fuzz/CMakeLists.txt).
#include <vips/vips.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace {

void put16(std::vector<uint8_t>* b, uint32_t v) {
  b->push_back(v & 0xFF);
  b->push_back((v >> 8) & 0xFF);
}
void put32(std::vector<uint8_t>* b, uint32_t v) {
  put16(b, v & 0xFFFF);
  put16(b, v >> 16);
}

// A BMP with a 40-byte header, bit-field masks after it, `colors` palette entries.
std::vector<uint8_t> bmp(int w, int h, int bits, uint32_t compression,
                         const std::vector<uint8_t>& pixels, int colors,
                         const std::vector<uint32_t>& masks = {}) {
  std::vector<uint8_t> b = {'B', 'M'};
  const uint32_t offset = 54 + 4 * masks.size() + 4 * colors;
  for (uint32_t v : {uint32_t(offset + pixels.size()), 0u, offset, 40u, uint32_t(w), uint32_t(h)}) {
    put32(&b, v);
  }
  put16(&b, 1);
  put16(&b, bits);
  for (uint32_t v : {compression, uint32_t(pixels.size()), 2835u, 2835u, uint32_t(colors), 0u}) {
    put32(&b, v);
  }
  for (uint32_t m : masks) put32(&b, m);
  for (int i = 0; i < colors * 4; ++i) b.push_back(static_cast<uint8_t>(i * 53));
  b.insert(b.end(), pixels.begin(), pixels.end());
  return b;
}

// A little-endian TIFF with one strip; `tags` (tag, value) as LONGs, 273 set here.
std::vector<uint8_t> tiff(std::vector<std::pair<uint16_t, uint32_t>> tags,
                          const std::vector<uint8_t>& strip) {
  tags.push_back({273, 0});
  tags.push_back({279, uint32_t(strip.size())});
  std::sort(tags.begin(), tags.end());
  std::vector<uint8_t> b = {'I', 'I', 42, 0};
  put32(&b, 8);
  put16(&b, tags.size());
  for (const auto& [tag, value] : tags) {
    put16(&b, tag);
    put16(&b, 4);
    put32(&b, 1);
    put32(&b, tag == 273 ? uint32_t(8 + 2 + 12 * tags.size() + 4) : value);
  }
  put32(&b, 0);
  b.insert(b.end(), strip.begin(), strip.end());
  return b;
}

// A TIFF IFD entry with its values already in the file's byte order.
struct Entry {
  uint16_t tag, type;
  uint32_t count;
  std::vector<uint8_t> bytes;
};
Entry shorts(uint16_t tag, std::vector<uint32_t> v) {
  Entry e{tag, 3, uint32_t(v.size()), {}};
  for (uint32_t x : v) put16(&e.bytes, x);
  return e;
}
Entry longs(uint16_t tag, std::vector<uint32_t> v) {
  Entry e{tag, 4, uint32_t(v.size()), {}};
  for (uint32_t x : v) put32(&e.bytes, x);
  return e;
}
Entry bytes(uint16_t tag, std::vector<uint8_t> v) { return {tag, 1, uint32_t(v.size()), v}; }
Entry srationals(uint16_t tag, std::vector<int32_t> num) {  // each over 10000
  Entry e{tag, 10, uint32_t(num.size()), {}};
  for (int32_t x : num) {
    put32(&e.bytes, static_cast<uint32_t>(x));
    put32(&e.bytes, 10000);
  }
  return e;
}

// Appends an IFD (entries sorted by tag, long values after it) to `b`; returns its offset.
uint32_t put_ifd(std::vector<uint8_t>* b, std::vector<Entry> entries) {
  std::sort(entries.begin(), entries.end(), [](auto& x, auto& y) { return x.tag < y.tag; });
  const uint32_t at = b->size();
  uint32_t extra = at + 2 + 12 * entries.size() + 4;
  put16(b, entries.size());
  for (const Entry& e : entries) {
    put16(b, e.tag);
    put16(b, e.type);
    put32(b, e.count);
    if (e.bytes.size() <= 4) {
      for (size_t i = 0; i < 4; ++i) b->push_back(i < e.bytes.size() ? e.bytes[i] : 0);
    } else {
      put32(b, extra);
      extra += e.bytes.size();
    }
  }
  put32(b, 0);
  for (const Entry& e : entries) {
    if (e.bytes.size() > 4) b->insert(b->end(), e.bytes.begin(), e.bytes.end());
  }
  return at;
}

// A tiny DNG (tests/reference/make_raw_files.py writes the same layout): a 32x32 16-bit CFA in a
// SubIFD (LibRaw refuses raws under 22 pixels a side), IFD0 the 16x16 JPEG preview `jpeg` (half
// the sensor: used) or, without one, the raw image itself.
std::vector<uint8_t> dng(const std::vector<uint8_t>& jpeg, std::vector<uint8_t> cfa,
                         uint32_t orientation) {
  std::vector<uint8_t> b = {'I', 'I', 42, 0, 0, 0, 0, 0};
  const uint32_t raw_at = b.size();
  for (uint32_t i = 0; i < 32 * 32; ++i) put16(&b, 256 + (i * 997) % 15000);
  const uint32_t jpeg_at = b.size();
  b.insert(b.end(), jpeg.begin(), jpeg.end());
  std::vector<Entry> raw = {longs(254, {0}),      longs(256, {32}),      longs(257, {32}),
                            shorts(258, {16}),    shorts(259, {1}),      shorts(262, {32803}),
                            longs(273, {raw_at}), shorts(277, {1}),      longs(278, {32}),
                            longs(279, {2048}),   shorts(33421, {2, 2}), bytes(33422, cfa),
                            longs(50714, {256}),  longs(50717, {16383})};
  std::vector<Entry> camera = {
      bytes(271, {'x', 'y', 'z', 0}), shorts(274, {orientation}), bytes(50706, {1, 4, 0, 0}),
      srationals(50721, {32405, -15371, -4985, -9693, 18760, 416, 556, -2040, 10572}),
      shorts(50778, {21})};
  std::vector<Entry> ifd0 = camera;
  if (jpeg.empty()) {
    ifd0.insert(ifd0.end(), raw.begin(), raw.end());
  } else {
    const uint32_t sub = put_ifd(&b, raw);
    for (Entry e : {longs(254, {1}), longs(256, {16}), longs(257, {16}), shorts(258, {8, 8, 8}),
                    shorts(259, {7}), shorts(262, {6}), longs(273, {jpeg_at}), shorts(277, {3}),
                    longs(278, {16}), longs(279, {uint32_t(jpeg.size())}), longs(330, {sub})}) {
      ifd0.push_back(e);
    }
  }
  const uint32_t at = put_ifd(&b, ifd0);
  for (int i = 0; i < 4; ++i) b[4 + i] = static_cast<uint8_t>(at >> (8 * i));
  return b;
}

std::vector<std::vector<uint8_t>> handmade_seeds() {
  std::vector<uint8_t> px(64);
  for (size_t i = 0; i < px.size(); ++i) px[i] = static_cast<uint8_t>(i * 37);
  const std::vector<uint8_t> half(px.begin(), px.begin() + 32);
  auto gray = [&](uint32_t bits, uint32_t photometric, uint32_t format, size_t bytes) {
    std::vector<std::pair<uint16_t, uint32_t>> t = {{256, 5}, {257, 3}, {258, bits},  {259, 1},
                                                    {277, 1}, {278, 3}, {339, format}};
    if (photometric != 99) t.push_back({262, photometric});
    return tiff(t, std::vector<uint8_t>(px.begin(), px.begin() + bytes));
  };
  return {
      // 3x2 24-bit, bottom-up, rows padded to 4 bytes.
      bmp(3, 2, 24, 0, {1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 0, 0, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 0, 0}, 0),
      bmp(6, 2, 8, 1, {3, 1, 0, 3, 4, 5, 6, 0, 0, 0, 2, 1, 1, 9, 9, 2, 2, 0, 1}, 8),  // RLE8
      bmp(5, 2, 4, 2, {5, 0x12, 0, 5, 0x34, 0x56, 0x70, 0, 0, 0, 0, 1}, 16),          // RLE4
      bmp(4, 4, 16, 0, half, 0),                                                      // 5-5-5
      bmp(4, 4, 16, 3, half, 0, {0xF800, 0x7E0, 0x1F}),                               // 5-6-5
      bmp(4, 4, 32, 3, px, 0, {0, 0, 0}),                                             // BGRA
      bmp(8, 4, 8, 0, half, 3),  // indices past the palette
      // RLE8 claiming 4210752250 x 4210752250: width * height overflows int64 (found by fuzzing).
      bmp(static_cast<int>(0xFAFAFAFAu), static_cast<int>(0xFAFAFAFAu), 8, 1, {3, 1, 0, 1}, 2),
      gray(12, 1, 1, 24), gray(32, 1, 3, 60), gray(16, 1, 2, 30), gray(32, 1, 2, 60),
      gray(8, 99, 1, 15), gray(16, 0, 1, 30),
      tiff({{256, 5}, {257, 3}, {258, 8}, {259, 1}, {262, 8}, {277, 3}, {278, 3}},
           std::vector<uint8_t>(px.begin(), px.begin() + 45)),  // CIELab
  };
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2 || vips_init(argv[0]) != 0) return 2;
  const std::string dir = argv[1];
  std::filesystem::create_directories(dir);
  const char* suffixes[] = {".jpg", ".png",  ".webp", ".gif",
                            ".tif", ".heic", ".avif", ".jpg[Q=50,interlace]"};
  int n = 0;
  for (int bands = 1; bands <= 4; ++bands) {
    std::vector<uint8_t> px(static_cast<size_t>(23) * 11 * bands);
    for (size_t i = 0; i < px.size(); ++i) px[i] = static_cast<uint8_t>(i * 37);
    VipsImage* im =
        vips_image_new_from_memory(px.data(), px.size(), 23, 11, bands, VIPS_FORMAT_UCHAR);
    if (bands == 3) vips_image_set_int(im, "orientation", 6);
    for (const char* s : suffixes) {
      void* buf = nullptr;
      size_t len = 0;
      if (vips_image_write_to_buffer(im, s, &buf, &len, nullptr) != 0) {
        vips_error_clear();
        continue;
      }
      std::string path = dir + "/seed" + std::to_string(n) + ".bin";
      FILE* f = std::fopen(path.c_str(), "wb");
      if (f) {
        const uint8_t sel = static_cast<uint8_t>(n * 37);
        std::fwrite(&sel, 1, 1, f);
        std::fwrite(buf, 1, len, f);
        std::fclose(f);
      }
      ++n;
      g_free(buf);
    }
    g_object_unref(im);
  }
  // Camera RAW: DNGs with a 16x16 JPEG preview and without, RGGB and GBRG, one rotated.
  std::vector<std::vector<uint8_t>> seeds = handmade_seeds();
  std::vector<uint8_t> px(16 * 16 * 3);
  for (size_t i = 0; i < px.size(); ++i) px[i] = static_cast<uint8_t>(i * 29);
  VipsImage* im = vips_image_new_from_memory(px.data(), px.size(), 16, 16, 3, VIPS_FORMAT_UCHAR);
  void* buf = nullptr;
  size_t len = 0;
  if (vips_image_write_to_buffer(im, ".jpg", &buf, &len, nullptr) == 0) {
    const std::vector<uint8_t> jpeg(static_cast<uint8_t*>(buf), static_cast<uint8_t*>(buf) + len);
    seeds.push_back(dng(jpeg, {0, 1, 1, 2}, 1));
    seeds.push_back(dng(jpeg, {1, 2, 0, 1}, 6));
    g_free(buf);
  }
  g_object_unref(im);
  seeds.push_back(dng({}, {0, 1, 1, 2}, 1));
  seeds.push_back(dng({}, {1, 2, 0, 1}, 8));
  for (const std::vector<uint8_t>& seed : seeds) {
    FILE* f = std::fopen((dir + "/seed_made" + std::to_string(n) + ".bin").c_str(), "wb");
    if (!f) continue;
    const uint8_t sel = static_cast<uint8_t>(n * 37);
    std::fwrite(&sel, 1, 1, f);
    std::fwrite(seed.data(), 1, seed.size(), f);
    std::fclose(f);
    ++n;
  }
  std::printf("%d seeds in %s\n", n, dir.c_str());
  return 0;
}
