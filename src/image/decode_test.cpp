// Decoder tests: formats by magic bytes, every bad-file class with its error message, the
// safety limits, 16-bit and alpha options, EXIF orientation, fast (shrink-on-load) mode.
// Test images are encoded here with libvips, initialised by the project (vips_ready).
#include "image/decode.h"

#include <gtest/gtest.h>
#include <vips/vips.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "clipsearch/image.h"
#include "image/vips_runtime.h"

namespace clipsearch {
namespace {

// Encodes a w x h image with `bands` bands (8 or 16 bits) with the saver "suffix" (".png"...).
std::vector<uint8_t> encode(int w, int h, int bands, bool sixteen, const char* suffix,
                            int orientation = 0) {
  const Status ready = vips_ready();  // the untrusted-loader block in force, as in production
  EXPECT_TRUE(ready.ok()) << ready.message();
  const size_t n = static_cast<size_t>(w) * h * bands;
  std::vector<uint16_t> px16(n);
  std::vector<uint8_t> px8(n);
  for (size_t i = 0; i < n; ++i) {
    px16[i] = static_cast<uint16_t>(i * 2654435761u >> 16);
    px8[i] = static_cast<uint8_t>((i * 7) ^ (i / 13));
  }
  VipsImage* im =
      sixteen ? vips_image_new_from_memory(px16.data(), n * 2, w, h, bands, VIPS_FORMAT_USHORT)
              : vips_image_new_from_memory(px8.data(), n, w, h, bands, VIPS_FORMAT_UCHAR);
  if (sixteen) {
    im->Type = bands <= 2 ? VIPS_INTERPRETATION_GREY16 : VIPS_INTERPRETATION_RGB16;
  }
  if (orientation) vips_image_set_int(im, "orientation", orientation);
  void* buf = nullptr;
  size_t len = 0;
  EXPECT_EQ(vips_image_write_to_buffer(im, suffix, &buf, &len, nullptr), 0) << vips_error_buffer();
  std::vector<uint8_t> out(static_cast<uint8_t*>(buf), static_cast<uint8_t*>(buf) + len);
  g_free(buf);
  g_object_unref(im);
  return out;
}

bool has(const Status& s, const std::string& text) {
  return s.message().find(text) != std::string::npos;
}

// A header may claim dimensions whose product overflows int64 (the fuzzer found a BMP of
// 4210752250 x 4210752250): refused as too large, never a signed overflow.
TEST(Decode, PixelLimitHoldsForDimensionsWhoseProductOverflows) {
  const DecodeOptions options;
  const Status huge = image_check_pixel_limit(4210752250, 4210752250, "x.bmp", options);
  EXPECT_EQ(huge.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(huge.message().find("x.bmp: 4210752250x4210752250 pixels exceeds the limit"),
            std::string::npos)
      << huge.message();
  EXPECT_FALSE(image_check_pixel_limit(INT64_MAX, 2, "y", options).ok());
  EXPECT_TRUE(image_check_pixel_limit(options.max_pixels, 1, "z", options).ok());
  EXPECT_FALSE(image_check_pixel_limit(options.max_pixels, 2, "z", options).ok());
}

TEST(Decode, SniffsFormatsByContent) {
  EXPECT_EQ(image_sniff_format(encode(4, 4, 3, false, ".png").data(), 40), ImageFormat::kPng);
  auto jpg = encode(4, 4, 3, false, ".jpg");
  EXPECT_EQ(image_sniff_format(jpg.data(), jpg.size()), ImageFormat::kJpeg);
  auto webp = encode(4, 4, 3, false, ".webp");
  EXPECT_EQ(image_sniff_format(webp.data(), webp.size()), ImageFormat::kWebp);
  auto tif = encode(4, 4, 3, false, ".tif");
  EXPECT_EQ(image_sniff_format(tif.data(), tif.size()), ImageFormat::kTiff);
  const uint8_t gif[] = "GIF89a....";
  EXPECT_EQ(image_sniff_format(gif, sizeof gif), ImageFormat::kGif);
  const uint8_t svg[] = "<svg xmlns='http://www.w3.org/2000/svg'/>";
  EXPECT_EQ(image_sniff_format(svg, sizeof svg), ImageFormat::kUnknown);
}

TEST(Decode, HeifAndAvifThroughLibheif) {
  for (const char* suffix : {".avif", ".heic"}) {
    auto file = encode(32, 24, 3, false, suffix);
    ASSERT_EQ(image_sniff_format(file.data(), file.size()),
              std::string(suffix) == ".avif" ? ImageFormat::kAvif : ImageFormat::kHeif)
        << suffix;
    auto im = image_decode_memory(file.data(), file.size(), std::string("x") + suffix);
    ASSERT_TRUE(im.ok()) << im.status().message();
    EXPECT_EQ(im->width, 32);
    EXPECT_EQ(im->height, 24);
  }
}

// The major brand decides; the generic "mif1" is AVIF where a compatible brand says so.
TEST(Decode, SniffsHeifAndAvifBrands) {
  auto ftyp = [](const char* major, const char* compatible) {
    std::string box = std::string("\0\0\0", 3) + char(16 + std::strlen(compatible)) + "ftyp" +
                      major + std::string(4, '\0') + compatible;
    return std::vector<uint8_t>(box.begin(), box.end());
  };
  const struct {
    const char *major, *compatible;
    ImageFormat want;
  } cases[] = {
      {"heic", "mif1heic", ImageFormat::kHeif},   {"avif", "mif1avif", ImageFormat::kAvif},
      {"mif1", "mif1heic", ImageFormat::kHeif},   {"mif1", "mif1miafavif", ImageFormat::kAvif},
      {"msf1", "avis", ImageFormat::kAvif},       {"isom", "mif1heic", ImageFormat::kUnknown},
      {"mp42", "isomavc1", ImageFormat::kUnknown}};
  for (const auto& c : cases) {
    auto d = ftyp(c.major, c.compatible);
    EXPECT_EQ(image_sniff_format(d.data(), d.size()), c.want) << c.major << " " << c.compatible;
  }
  // A compatible brand past the end of the data (or of the box) is not read.
  auto d = ftyp("mif1", "mif1avif");
  EXPECT_EQ(image_sniff_format(d.data(), d.size() - 1), ImageFormat::kHeif);
  EXPECT_STREQ(image_format_name(ImageFormat::kAvif), "AVIF");
}

TEST(Decode, DecodesEveryBandLayout) {
  for (int bands : {1, 2, 3, 4}) {
    auto png = encode(9, 7, bands, false, ".png");
    auto im = image_decode_memory(png.data(), png.size(), "t.png");
    ASSERT_TRUE(im.ok()) << im.status().message();
    EXPECT_EQ(im->width, 9);
    EXPECT_EQ(im->height, 7);
    EXPECT_EQ(im->pixels.size(), 9u * 7 * 3);
  }
}

TEST(Decode, BadFilesGiveErrorsNamingTheFile) {
  auto empty = image_decode_memory(nullptr, 0, "empty.jpg");
  ASSERT_FALSE(empty.ok());
  EXPECT_TRUE(has(empty.status(), "empty.jpg: empty file")) << empty.status().message();
  EXPECT_EQ(empty.status().code(), StatusCode::kCorruption);

  const uint8_t garbage[] = "this is not an image at all, just some text";
  auto g = image_decode_memory(garbage, sizeof garbage, "notes.png");
  ASSERT_FALSE(g.ok());
  EXPECT_TRUE(has(g.status(), "notes.png: not a supported image")) << g.status().message();
  EXPECT_EQ(g.status().code(), StatusCode::kUnsupported);

  for (const char* suffix : {".jpg", ".png", ".webp", ".tif"}) {
    auto full = encode(64, 48, 3, false, suffix);
    std::vector<uint8_t> cut(full.begin(), full.begin() + full.size() / 2);
    auto t = image_decode_memory(cut.data(), cut.size(), std::string("cut") + suffix);
    ASSERT_FALSE(t.ok()) << suffix << " truncated file decoded";
    EXPECT_TRUE(has(t.status(), std::string("cut") + suffix)) << t.status().message();
    EXPECT_EQ(t.status().code(), StatusCode::kCorruption) << t.status().message();
    // Magic bytes followed by garbage.
    std::vector<uint8_t> bad(full.begin(), full.begin() + 12);
    bad.resize(300, 0x5A);
    auto b = image_decode_memory(bad.data(), bad.size(), std::string("bad") + suffix);
    ASSERT_FALSE(b.ok()) << suffix;
    EXPECT_TRUE(has(b.status(), std::string("bad") + suffix)) << b.status().message();
    EXPECT_EQ(b.status().code(), StatusCode::kCorruption) << b.status().message();
  }

  const uint8_t bmp[64] = {'B', 'M'};
  auto bm = image_decode_memory(bmp, sizeof bmp, "old.bmp");
  ASSERT_FALSE(bm.ok());
  EXPECT_TRUE(has(bm.status(), "old.bmp: BMP: unsupported header size 0")) << bm.status().message();
  EXPECT_EQ(bm.status().code(), StatusCode::kUnsupported);

  auto missing = image_decode_file("/nonexistent/photo.jpg");
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(has(missing.status(), "/nonexistent/photo.jpg")) << missing.status().message();
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
}

// libvips' error buffer is process-wide: decodes failing at the same time must still each get
// their own message. Bad files of several formats and sizes (so libvips' texts differ), decoded
// one at a time for the expected messages, then from 8 threads at once, many times over.
TEST(Decode, ConcurrentFailuresKeepTheirOwnMessages) {
  struct Bad {
    std::string name;
    std::vector<uint8_t> bytes;
    std::string expected;
  };
  std::vector<Bad> bad;
  int k = 0;
  for (const char* suffix : {".png", ".webp", ".tif", ".gif"}) {
    for (int w : {40, 97, 160}) {
      auto full = encode(w, w / 2 + 3, 3, false, suffix);
      for (size_t cut : {full.size() / 3, full.size() * 3 / 4}) {
        Bad b;
        b.name = "bad" + std::to_string(k++) + suffix;
        b.bytes.assign(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(cut));
        auto r = image_decode_memory(b.bytes.data(), b.bytes.size(), b.name);
        if (r.ok()) continue;  // some cuts still decode (GIF)
        b.expected = r.status().message();
        bad.push_back(std::move(b));
      }
    }
  }
  ASSERT_GT(bad.size(), 12u);
  std::vector<std::vector<std::string>> got(8);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 6; ++round) {
        for (size_t i = 0; i < bad.size(); ++i) {
          const Bad& b = bad[(i * 7 + t * 5 + round) % bad.size()];
          auto r = image_decode_memory(b.bytes.data(), b.bytes.size(), b.name);
          got[t].push_back(r.ok() ? b.name + " decoded" : r.status().message());
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 8; ++t) {
    size_t j = 0;
    for (int round = 0; round < 6; ++round) {
      for (size_t i = 0; i < bad.size(); ++i) {
        const Bad& b = bad[(i * 7 + t * 5 + round) % bad.size()];
        EXPECT_EQ(got[t][j++], b.expected);
      }
    }
  }
  // Each expected message names its file and carries libvips' own text after the format.
  for (const Bad& b : bad) {
    EXPECT_EQ(b.expected.rfind(b.name + ": ", 0), 0u) << b.expected;
    EXPECT_GT(b.expected.size(), b.name.size() + 12) << b.expected;
  }
}

TEST(Decode, WrongExtensionIsIgnored) {
  auto png = encode(5, 3, 3, false, ".png");
  std::string path = testing::TempDir() + "/really_a_png.jpg";
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(png.data()), static_cast<std::streamsize>(png.size()));
  auto im = image_decode_file(path);
  ASSERT_TRUE(im.ok()) << im.status().message();
  EXPECT_EQ(im->width, 5);
  std::remove(path.c_str());
}

// A PNG whose header claims 30000 x 30000 pixels, followed by no data.
std::vector<uint8_t> png_bomb_header() {
  std::vector<uint8_t> p = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n',
                            0,    0,   0,   13,  'I',  'H',  'D',  'R'};
  auto be32 = [&](uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) p.push_back(static_cast<uint8_t>(v >> s));
  };
  be32(30000);
  be32(30000);
  p.insert(p.end(), {8, 2, 0, 0, 0});
  uint32_t crc = 0;  // CRC-32 of type + data, computed bitwise
  crc = ~crc;
  for (size_t i = 12; i < p.size(); ++i) {
    crc ^= p[i];
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1)));
  }
  be32(static_cast<uint32_t>(~crc));
  // A token IDAT: libpng reads the header up to the first IDAT.
  p.insert(p.end(), {0, 0, 0, 4, 'I', 'D', 'A', 'T', 1, 2, 3, 4, 0, 0, 0, 0});
  p.insert(p.end(), {0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xAE, 0x42, 0x60, 0x82});
  return p;
}

TEST(Decode, PixelLimitIsCheckedOnTheHeader) {
  auto bomb = png_bomb_header();
  auto b = image_decode_memory(bomb.data(), bomb.size(), "bomb.png");
  ASSERT_FALSE(b.ok());
  EXPECT_TRUE(has(b.status(), "bomb.png: 30000x30000 = 900000000 pixels exceeds the limit"))
      << b.status().message();
  EXPECT_EQ(b.status().code(), StatusCode::kInvalidArgument);

  auto png = encode(10, 10, 3, false, ".png");
  DecodeOptions opt;
  opt.max_pixels = 99;
  auto small = image_decode_memory(png.data(), png.size(), "s.png", opt);
  ASSERT_FALSE(small.ok());
  EXPECT_TRUE(has(small.status(), "exceeds the limit of 99")) << small.status().message();
  opt.max_pixels = 100;
  EXPECT_TRUE(image_decode_memory(png.data(), png.size(), "s.png", opt).ok());
}

TEST(Decode, GifFrameOffsetThatEnlargesTheCanvasIsRefused) {
  auto gif = encode(20, 10, 3, false, ".gif");
  ASSERT_GT(gif.size(), 13u);
  // Find the first image descriptor (after the global palette and any extensions) and move
  // the frame to (60000, 50000): libvips, like Pillow, enlarges the canvas to hold it.
  size_t i = 13 + ((gif[10] & 0x80) ? 3u << ((gif[10] & 7) + 1) : 0);
  while (i < gif.size() && gif[i] == 0x21) {
    i += 2;
    while (i < gif.size() && gif[i] != 0) i += gif[i] + 1;
    ++i;
  }
  ASSERT_LT(i + 5, gif.size());
  ASSERT_EQ(gif[i], 0x2C);
  gif[i + 1] = 60000 & 0xFF;
  gif[i + 2] = 60000 >> 8;
  gif[i + 3] = 50000 & 0xFF;
  gif[i + 4] = 50000 >> 8;
  auto r = image_decode_memory(gif.data(), gif.size(), "enlarge.gif");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(has(r.status(), "enlarge.gif: 60020x50010 = 3001600200 pixels exceeds the limit"))
      << r.status().message();
}

TEST(Decode, JpegScanCountAndLimit) {
  auto baseline = encode(32, 32, 3, false, ".jpg");
  EXPECT_EQ(image_jpeg_scan_count(baseline.data(), baseline.size()), 1);
  auto progressive = encode(32, 32, 3, false, ".jpg[interlace]");
  EXPECT_GT(image_jpeg_scan_count(progressive.data(), progressive.size()), 4);
  // A JPEG header followed by 300 (empty) scans.
  std::vector<uint8_t> bomb(baseline.begin(), baseline.end() - 2);  // without EOI
  for (int k = 0; k < 300; ++k) bomb.insert(bomb.end(), {0xFF, 0xDA, 0x00, 0x02});
  bomb.insert(bomb.end(), {0xFF, 0xD9});
  EXPECT_EQ(image_jpeg_scan_count(bomb.data(), bomb.size()), 301);
  auto r = image_decode_memory(bomb.data(), bomb.size(), "scans.jpg");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(has(r.status(), "scans.jpg: JPEG: 301 scans, more than the limit of 256"))
      << r.status().message();
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
}

TEST(Decode, TimeLimitStopsDecoding) {
  auto png = encode(2000, 1500, 3, false, ".png");
  DecodeOptions opt;
  opt.timeout_seconds = 1e-6;
  auto t = image_decode_memory(png.data(), png.size(), "slow.png", opt);
  ASSERT_FALSE(t.ok());
  EXPECT_TRUE(has(t.status(), "slow.png: decoding took longer than the limit"))
      << t.status().message();
  EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
}

// JPEG goes through libjpeg-turbo directly: its progress hook enforces the time limit (also
// inside a progressive file's scans), running out of data is an error naming the file, corrupt
// entropy data is not (Pillow decodes it too).
TEST(Decode, JpegLimitsAndDamage) {
  auto progressive = encode(1600, 1200, 3, false, ".jpg[interlace]");
  DecodeOptions opt;
  opt.timeout_seconds = 1e-6;
  auto slow = image_decode_memory(progressive.data(), progressive.size(), "slow.jpg", opt);
  ASSERT_FALSE(slow.ok());
  EXPECT_TRUE(has(slow.status(), "slow.jpg: decoding took longer than the limit"))
      << slow.status().message();
  EXPECT_EQ(slow.status().code(), StatusCode::kInvalidArgument);

  auto jpg = encode(320, 240, 3, false, ".jpg");
  for (size_t cut : {jpg.size() / 4, jpg.size() / 2, jpg.size() - 40}) {
    auto t = image_decode_memory(jpg.data(), cut, "cut.jpg");
    ASSERT_FALSE(t.ok()) << cut;
    EXPECT_TRUE(has(t.status(), "cut.jpg: JPEG: Premature end of JPEG file"))
        << t.status().message();
    EXPECT_EQ(t.status().code(), StatusCode::kCorruption);
  }
  std::vector<uint8_t> corrupt = jpg;
  for (size_t i = corrupt.size() / 2; i < corrupt.size() / 2 + 30; ++i) {
    if (corrupt[i] != 0xFF && corrupt[i] != 0x00) corrupt[i] ^= 0x55;
  }
  auto c = image_decode_memory(corrupt.data(), corrupt.size(), "corrupt.jpg");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->width, 320);

  DecodeOptions small;
  small.max_pixels = 320 * 240 - 1;
  auto big = image_decode_memory(jpg.data(), jpg.size(), "big.jpg", small);
  ASSERT_FALSE(big.ok());
  EXPECT_TRUE(has(big.status(), "big.jpg: 320x240 = 76800 pixels exceeds the limit"))
      << big.status().message();
}

TEST(Decode, SixteenBitScaledOrClipped) {
  auto gray = encode(8, 8, 1, true, ".png");
  auto scaled = image_decode_memory(gray.data(), gray.size(), "g16.png");
  DecodeOptions clip;
  clip.sixteen_bit = SixteenBit::kClip;
  auto clipped = image_decode_memory(gray.data(), gray.size(), "g16.png", clip);
  ASSERT_TRUE(scaled.ok() && clipped.ok());
  bool differ = false;
  for (size_t i = 0; i < scaled->pixels.size(); ++i) {
    differ |= scaled->pixels[i] != clipped->pixels[i];
  }
  EXPECT_TRUE(differ);
  int saturated = 0;  // clipping saturates most 16-bit values at 255
  for (uint8_t v : clipped->pixels) saturated += v == 255;
  EXPECT_GT(saturated, static_cast<int>(clipped->pixels.size() / 2));
}

TEST(Decode, AlphaDroppedOrComposited) {
  // One pixel, RGBA (10, 20, 30, 0): fully transparent.
  std::vector<uint8_t> px = {10, 20, 30, 0};
  const Status ready = vips_ready();
  ASSERT_TRUE(ready.ok()) << ready.message();
  VipsImage* im = vips_image_new_from_memory(px.data(), 4, 1, 1, 4, VIPS_FORMAT_UCHAR);
  void* buf = nullptr;
  size_t len = 0;
  ASSERT_EQ(vips_pngsave_buffer(im, &buf, &len, nullptr), 0);
  g_object_unref(im);
  auto dropped = image_decode_memory(static_cast<uint8_t*>(buf), len, "a.png");
  DecodeOptions opt;
  opt.alpha = AlphaMode::kComposite;
  opt.background[0] = 255;
  opt.background[1] = 0;
  opt.background[2] = 128;
  auto composited = image_decode_memory(static_cast<uint8_t*>(buf), len, "a.png", opt);
  g_free(buf);
  ASSERT_TRUE(dropped.ok() && composited.ok());
  EXPECT_EQ(dropped->pixels, (std::vector<uint8_t>{10, 20, 30}));
  EXPECT_EQ(composited->pixels, (std::vector<uint8_t>{255, 0, 128}));
}

TEST(Decode, ExifOrientationAppliedOrIgnored) {
  auto jpg = encode(40, 20, 3, false, ".jpg", 6);
  auto applied = image_decode_memory(jpg.data(), jpg.size(), "o.jpg");
  ASSERT_TRUE(applied.ok()) << applied.status().message();
  EXPECT_EQ(applied->width, 20);
  EXPECT_EQ(applied->height, 40);
  DecodeOptions opt;
  opt.exif = ExifMode::kIgnore;
  auto ignored = image_decode_memory(jpg.data(), jpg.size(), "o.jpg", opt);
  ASSERT_TRUE(ignored.ok());
  EXPECT_EQ(ignored->width, 40);
}

TEST(Decode, FastModeShrinksOnLoadButNotBelowTwiceTheTarget) {
  auto jpg = encode(2000, 1600, 3, false, ".jpg");
  DecodeOptions opt;
  opt.mode = DecodeMode::kFast;
  opt.fast_min_side = 224;
  auto im = image_decode_memory(jpg.data(), jpg.size(), "big.jpg", opt);
  ASSERT_TRUE(im.ok()) << im.status().message();
  EXPECT_EQ(im->width, 1000);  // shrink 2: 800 >= 448, shrink 4 would give 400 < 448
  EXPECT_EQ(im->height, 800);
  opt.fast_min_side = 100;
  auto im8 = image_decode_memory(jpg.data(), jpg.size(), "big.jpg", opt);
  ASSERT_TRUE(im8.ok());
  EXPECT_EQ(im8->height, 200);  // shrink 8: 200 >= 2 * 100
  auto webp = encode(2000, 1600, 3, false, ".webp");
  opt.fast_min_side = 224;
  auto w = image_decode_memory(webp.data(), webp.size(), "big.webp", opt);
  ASSERT_TRUE(w.ok()) << w.status().message();
  EXPECT_EQ(w->width, 1000);
  EXPECT_EQ(w->height, 800);
  auto png = encode(2000, 1600, 3, false, ".png");  // no shrink-on-load for other formats
  auto p = image_decode_memory(png.data(), png.size(), "big.png", opt);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->width, 2000);
}

}  // namespace
}  // namespace clipsearch
