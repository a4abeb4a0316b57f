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

}  // namespace
}  // namespace clipsearch
