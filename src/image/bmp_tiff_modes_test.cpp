// Bad and unusual BMP and TIFF input for the decoders of issue 23 (bmp*.cpp, tiff*.cpp): every
// truncation of RLE, 16-bit and TIFF files gives a decode or an error naming the file, never a
// crash (this runs under ASan and UBSan); RLE runs past the row and the picture; bit-field masks
// that are zero or overlap; the --sixteen-bit choice on the new TIFF modes; headers of TIFFs
// libvips cannot open. Pixel parity with Pillow is image_modes_test's.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "clipsearch/image.h"
#include "image/decode.h"

namespace clipsearch {
namespace {

void put16(std::vector<uint8_t>* b, uint32_t v) {
  b->push_back(v & 0xFF);
  b->push_back((v >> 8) & 0xFF);
}
void put32(std::vector<uint8_t>* b, uint32_t v) {
  put16(b, v & 0xFFFF);
  put16(b, v >> 16);
}

// A BMP with a 40-byte header, `masks` after it (bit fields), `colors` palette entries.
std::vector<uint8_t> bmp(int w, int h, int bits, uint32_t compression,
                         const std::vector<uint8_t>& pixels, int colors = 0,
                         const std::vector<uint32_t>& masks = {}) {
  std::vector<uint8_t> b = {'B', 'M'};
  const uint32_t offset = 54 + 4 * masks.size() + 4 * colors;
  put32(&b, offset + pixels.size());
  put32(&b, 0);
  put32(&b, offset);
  put32(&b, 40);
  put32(&b, w);
  put32(&b, h);
  put16(&b, 1);
  put16(&b, bits);
  put32(&b, compression);
  put32(&b, pixels.size());
  put32(&b, 2835);
  put32(&b, 2835);
  put32(&b, colors);
  put32(&b, 0);
  for (uint32_t m : masks) put32(&b, m);
  for (int i = 0; i < colors; ++i) {
    for (int c = 0; c < 3; ++c) b.push_back(static_cast<uint8_t>(i * 37 + c * 80));
    b.push_back(0);
  }
  b.insert(b.end(), pixels.begin(), pixels.end());
  return b;
}

// A little-endian one-sample TIFF, one strip, uncompressed.
std::vector<uint8_t> gray_tiff(int w, int h, int bits, int photometric, int sample_format,
                               const std::vector<uint8_t>& strip) {
  struct Entry {
    uint16_t tag;
    uint32_t value;
  };
  std::vector<Entry> e = {{256, uint32_t(w)},
                          {257, uint32_t(h)},
                          {258, uint32_t(bits)},
                          {259, 1},
                          {262, 0},
                          {273, 0},
                          {277, 1},
                          {278, uint32_t(h)},
                          {279, uint32_t(strip.size())},
                          {339, uint32_t(sample_format)}};
  if (photometric < 0) {
    e.erase(e.begin() + 4);
  } else {
    e[4].value = static_cast<uint32_t>(photometric);
  }
  std::vector<uint8_t> b = {'I', 'I', 42, 0};
  put32(&b, 8);
  const uint32_t data_at = 8 + 2 + 12 * e.size() + 4;
  put16(&b, e.size());
  for (const Entry& x : e) {
    put16(&b, x.tag);
    put16(&b, 4);  // LONG
    put32(&b, 1);
    put32(&b, x.tag == 273 ? data_at : x.value);
  }
  put32(&b, 0);
  b.insert(b.end(), strip.begin(), strip.end());
  return b;
}

// Every prefix decodes or fails with an error naming the file.
void every_truncation(const std::vector<uint8_t>& file, const std::string& name) {
  for (size_t n = 1; n < file.size(); ++n) {
    std::vector<uint8_t> cut(file.begin(), file.begin() + n);  // its own buffer, for ASan
    Result<RgbImage> r = image_decode_memory(cut.data(), cut.size(), name);
    if (!r.ok()) {
      EXPECT_NE(r.status().message().find(name), std::string::npos) << r.status().message();
    }
  }
}

TEST(BmpModes, EveryTruncationIsADecodeOrAnErrorNamingTheFile) {
  const std::vector<uint8_t> rle8 = {3, 1, 0, 3, 4, 5, 6, 0, 0, 0, 2, 1, 1, 9, 9, 0, 1};
  every_truncation(bmp(6, 2, 8, 1, rle8, 8), "cut_rle8.bmp");
  const std::vector<uint8_t> rle4 = {5, 0x12, 0, 5, 0x34, 0x56, 0x70, 0, 0, 0, 0, 1};
  every_truncation(bmp(5, 2, 4, 2, rle4, 8), "cut_rle4.bmp");
  std::vector<uint8_t> px16(4 * 3 * 2);
  for (size_t i = 0; i < px16.size(); ++i) px16[i] = static_cast<uint8_t>(i * 41);
  every_truncation(bmp(3, 4, 16, 3, px16, 0, {0xF800, 0x7E0, 0x1F}), "cut_565.bmp");
}

TEST(BmpModes, RleRunsPastTheRowAndThePicture) {
  // An encoded run of 200 in a 4-wide row is cut at the row's end; an absolute run of 6 spills
  // into the next row; a run after the spill adds nothing (Pillow's column is past the row)
  // until end of line pads the row with index 0.
  const std::vector<uint8_t> s = {200, 1, 0, 0, 0, 6, 2, 3, 4, 5, 6, 7, 255, 9, 0, 0, 0, 1};
  std::vector<uint8_t> file = bmp(4, 3, 8, 1, s, 10);
  Result<RgbImage> r = image_decode_memory(file.data(), file.size(), "runs.bmp");
  ASSERT_TRUE(r.ok()) << r.status().message();
  // Bottom-up: file row 0 (all index 1) is the picture's last row, file row 2 (6, 7, 0, 0) its
  // first; palette entry i is (i * 37 + 160, i * 37 + 80, i * 37), modulo 256.
  const uint8_t* last = &r->pixels[2 * 4 * 3];
  for (int x = 0; x < 4; ++x) EXPECT_EQ(std::memcmp(last + x * 3, last, 3), 0);
  EXPECT_EQ(last[0], 37 + 160);
  const std::vector<uint8_t> first(r->pixels.begin(), r->pixels.begin() + 12);
  EXPECT_EQ(first, (std::vector<uint8_t>{126, 46, 222, 163, 83, 3, 160, 80, 0, 160, 80, 0}));
  // A stream that ends early, or with end of bitmap, before the picture is full: an error.
  for (const std::vector<uint8_t>& bad :
       {std::vector<uint8_t>{4, 1, 0, 1}, std::vector<uint8_t>{4, 1, 0, 0, 4}}) {
    file = bmp(4, 3, 8, 1, bad, 10);
    r = image_decode_memory(file.data(), file.size(), "short.bmp");
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("short.bmp: BMP: RLE data ends before the picture is full"),
              std::string::npos)
        << r.status().message();
  }
}

TEST(BmpModes, BitFieldMasksZeroOrOverlappingOrUnlisted) {
  std::vector<uint8_t> px(2 * 2 * 4, 0x5A);
  struct Case {
    int bits;
    std::vector<uint32_t> masks;
    bool reads;
  };
  for (const Case& c : std::vector<Case>{{32, {0, 0, 0}, true},  // Pillow: BGRA
                                         {32, {0xFFFF00, 0xFFFF, 0xFF}, false},
                                         {32, {0xFF00, 0xFF0000, 0xFF000000}, false},
                                         {16, {0, 0, 0}, false},
                                         {16, {0xFFFF, 0xFFFF, 0xFFFF}, false},
                                         {16, {0x7C00, 0x3E0, 0x1F}, true},
                                         {24, {0xFF, 0xFF00, 0xFF0000}, false}}) {
    std::vector<uint8_t> file = bmp(2, 2, c.bits, 3, px, 0, c.masks);
    Result<RgbImage> r = image_decode_memory(file.data(), file.size(), "masks.bmp");
    EXPECT_EQ(r.ok(), c.reads) << c.bits << " bits, mask " << c.masks[0];
    if (!r.ok()) {
      EXPECT_NE(r.status().message().find("masks.bmp: BMP: unsupported bit-field layout"),
                std::string::npos)
          << r.status().message();
      EXPECT_EQ(r.status().code(), StatusCode::kUnsupported);
    }
  }
}

TEST(TiffModes, EveryTruncationIsADecodeOrAnErrorNamingTheFile) {
  std::vector<uint8_t> strip(5 * 3 * 4);
  for (size_t i = 0; i < strip.size(); ++i) strip[i] = static_cast<uint8_t>(i * 29);
  every_truncation(gray_tiff(5, 3, 32, 1, 3, strip), "cut_float.tif");
  every_truncation(
      gray_tiff(5, 3, 12, 1, 1, std::vector<uint8_t>(strip.begin(), strip.begin() + 24)),
      "cut_12bit.tif");
  every_truncation(
      gray_tiff(5, 3, 8, -1, 1, std::vector<uint8_t>(strip.begin(), strip.begin() + 15)),
      "cut_nophoto.tif");
}

// Found by image_fuzz: a SamplesPerPixel of 0xFFFF0001 once made the plan build a tuple that
// long (Pillow refuses more than 6 samples first).
TEST(TiffModes, HugeSampleCountIsNotAllocated) {
  std::vector<uint8_t> file = gray_tiff(5, 3, 16, 1, 1, std::vector<uint8_t>(30, 7));
  for (size_t at = 10; at + 12 <= file.size(); at += 12) {
    if (file[at] == 277 % 256 && file[at + 1] == 277 / 256) {
      file[at + 8] = 1;
      file[at + 10] = file[at + 11] = 0xFF;
    }
  }
  Result<RgbImage> r = image_decode_memory(file.data(), file.size(), "many.tif");
  if (!r.ok()) {
    EXPECT_NE(r.status().message().find("many.tif"), std::string::npos) << r.status().message();
  }
}

TEST(TiffModes, SixteenBitChoiceOnSignedAnd12BitSamples) {
  // int16 samples -5, 100, 300, 32767 and 12-bit samples 0x010, 0x0FF, 0x100, 0xFFF.
  const std::vector<uint8_t> s16 = {0xFB, 0xFF, 100, 0, 0x2C, 1, 0xFF, 0x7F};
  const std::vector<uint8_t> u12 = {0x01, 0x00, 0xFF, 0x10, 0x0F, 0xFF};
  DecodeOptions clip;
  clip.sixteen_bit = SixteenBit::kClip;
  struct Case {
    std::vector<uint8_t> file;
    std::vector<uint8_t> clipped, scaled;
  };
  for (const Case& c :
       {Case{gray_tiff(4, 1, 16, 1, 2, s16), {0, 100, 255, 255}, {0, 0, 2, 255}},
        Case{gray_tiff(4, 1, 12, 1, 1, u12), {16, 255, 255, 255}, {1, 15, 16, 255}}}) {
    Result<RgbImage> a = image_decode_memory(c.file.data(), c.file.size(), "s.tif", clip);
    Result<RgbImage> b = image_decode_memory(c.file.data(), c.file.size(), "s.tif");
    ASSERT_TRUE(a.ok() && b.ok()) << a.status().message() << b.status().message();
    for (int x = 0; x < 4; ++x) {
      EXPECT_EQ(a->pixels[x * 3], c.clipped[x]) << x;
      EXPECT_EQ(b->pixels[x * 3], c.scaled[x]) << x;
    }
  }
}

TEST(TiffModes, HeaderOfFilesLibvipsCannotOpen) {
  const std::vector<uint8_t> file = gray_tiff(4, 1, 12, 1, 1, {1, 2, 3, 4, 5, 6});
  Result<ImageHeader> h = image_read_header(file.data(), file.size(), "h.tif");
  ASSERT_TRUE(h.ok()) << h.status().message();
  EXPECT_EQ(h->width, 4);
  EXPECT_EQ(h->height, 1);
  const std::vector<uint8_t> white12 = gray_tiff(4, 1, 12, 0, 1, {1, 2, 3, 4, 5, 6});
  h = image_read_header(white12.data(), white12.size(), "white12.tif");  // Pillow refuses it
  ASSERT_FALSE(h.ok());
  EXPECT_NE(h.status().message().find("white12.tif: TIFF: unknown pixel mode"), std::string::npos)
      << h.status().message();
}

}  // namespace
}  // namespace clipsearch
