#include "image/orient.h"

#include <gtest/gtest.h>

namespace clipsearch {
namespace {

// A 3x2 image whose pixel (x, y) has value 10 * y + x in every channel.
RgbImage grid() {
  RgbImage im{3, 2, {}};
  for (int y = 0; y < 2; ++y)
    for (int x = 0; x < 3; ++x)
      for (int c = 0; c < 3; ++c) im.pixels.push_back(static_cast<uint8_t>(10 * y + x));
  return im;
}

std::vector<int> values(const RgbImage& im) {
  std::vector<int> v;
  for (size_t i = 0; i < im.pixels.size(); i += 3) v.push_back(im.pixels[i]);
  return v;
}

TEST(Orient, AllEightOrientations) {
  // Expected layouts, as Pillow's exif_transpose gives them (rows top to bottom).
  EXPECT_EQ(values(image_orient(grid(), 1)), (std::vector<int>{0, 1, 2, 10, 11, 12}));
  EXPECT_EQ(values(image_orient(grid(), 2)), (std::vector<int>{2, 1, 0, 12, 11, 10}));
  EXPECT_EQ(values(image_orient(grid(), 3)), (std::vector<int>{12, 11, 10, 2, 1, 0}));
  EXPECT_EQ(values(image_orient(grid(), 4)), (std::vector<int>{10, 11, 12, 0, 1, 2}));
  EXPECT_EQ(values(image_orient(grid(), 5)), (std::vector<int>{0, 10, 1, 11, 2, 12}));
  EXPECT_EQ(values(image_orient(grid(), 6)), (std::vector<int>{10, 0, 11, 1, 12, 2}));
  EXPECT_EQ(values(image_orient(grid(), 7)), (std::vector<int>{12, 2, 11, 1, 10, 0}));
  EXPECT_EQ(values(image_orient(grid(), 8)), (std::vector<int>{2, 12, 1, 11, 0, 10}));
  RgbImage r = image_orient(grid(), 6);
  EXPECT_EQ(r.width, 2);
  EXPECT_EQ(r.height, 3);
  EXPECT_EQ(values(image_orient(grid(), 9)), values(grid()));  // invalid: unchanged
}

// EXIF parsing: both byte orders, SHORT and LONG, and every truncation of a valid block reads
// nothing out of bounds (ASan) and falls back to 1.
TEST(Orient, ExifOrientationFromIfd0) {
  const std::vector<uint8_t> le = {'I',  'I',  42, 0, 8, 0, 0, 0,  // header, IFD0 at 8
                                   1,    0,                        // one entry
                                   0x12, 0x01, 3,  0, 1, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(image_exif_orientation(le.data(), le.size()), 6);
  const std::vector<uint8_t> be = {'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0,
                                   4,   0,   0, 0,  1, 0, 0, 0, 8, 0, 0,    0,    0};
  EXPECT_EQ(image_exif_orientation(be.data(), be.size()), 8);
  for (size_t n = 0; n < le.size(); ++n) {
    std::vector<uint8_t> cut(le.begin(), le.begin() + static_cast<std::ptrdiff_t>(n));
    const int o = image_exif_orientation(cut.data(), cut.size());
    EXPECT_TRUE(o == 1 || o == 6) << n;
  }
  std::vector<uint8_t> far = le;
  far[4] = 0xF0;  // IFD0 offset past the end
  EXPECT_EQ(image_exif_orientation(far.data(), far.size()), 1);
  std::vector<uint8_t> offset = le;  // LONG with count 2: values at an offset past the end
  offset[12] = 4;
  offset[14] = 2;
  offset[18] = 0xFF;
  EXPECT_EQ(image_exif_orientation(offset.data(), offset.size()), 1);
}

}  // namespace
}  // namespace clipsearch
