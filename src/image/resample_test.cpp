#include "image/resample.h"

#include <gtest/gtest.h>

#include <random>

namespace clipsearch {
namespace {

RgbImage random_image(int w, int h, unsigned seed) {
  std::mt19937 rng(seed);
  RgbImage im{w, h, std::vector<uint8_t>(static_cast<size_t>(w) * h * 3)};
  for (auto& v : im.pixels) v = static_cast<uint8_t>(rng());
  return im;
}

TEST(Resample, SameSizeIsACopy) {
  RgbImage im = random_image(17, 9, 1);
  RgbImage out = image_resize(im, 17, 9, ResampleFilter::kBicubic);
  EXPECT_EQ(out.pixels, im.pixels);
}

TEST(Resample, BilinearHalvingAveragesPairs) {
  // 4 -> 2 bilinear: support 2 input pixels, weights 1/4 3/4 3/4 1/4 around each centre.
  RgbImage im{4, 1, {0, 0, 0, 100, 100, 100, 200, 200, 200, 40, 40, 40}};
  RgbImage out = image_resize(im, 2, 1, ResampleFilter::kBilinear);
  ASSERT_EQ(out.width, 2);
  // (0*1 + 100*3 + 200*3) / 7 for the first: the outer taps have weight 1/8 of range 2 -> norm.
  EXPECT_NEAR(out.pixels[0], 50, 30);
  EXPECT_NEAR(out.pixels[3], 130, 30);
}

TEST(Resample, ConstantImageStaysConstant) {
  for (auto f : {ResampleFilter::kBilinear, ResampleFilter::kBicubic, ResampleFilter::kLanczos}) {
    RgbImage im{37, 23, std::vector<uint8_t>(37 * 23 * 3, 77)};
    for (auto [w, h] : {std::pair{5, 3}, {100, 80}, {37, 50}}) {
      RgbImage out = image_resize(im, w, h, f);
      for (uint8_t v : out.pixels) ASSERT_EQ(v, 77);
    }
  }
}

TEST(Resample, WindowEqualsCropOfFullResize) {
  RgbImage im = random_image(53, 41, 2);
  for (auto [w, h] : {std::pair{20, 15}, {100, 77}, {53, 30}, {31, 41}}) {
    RgbImage full = image_resize(im, w, h, ResampleFilter::kBicubic);
    const int x0 = w / 4, y0 = h / 3, x1 = w - 1, y1 = h - h / 5;
    RgbImage win = image_resize_window(im, w, h, x0, y0, x1, y1, ResampleFilter::kBicubic);
    ASSERT_EQ(win.width, x1 - x0);
    ASSERT_EQ(win.height, y1 - y0);
    for (int y = y0; y < y1; ++y) {
      for (int x = x0; x < x1; ++x) {
        for (int c = 0; c < 3; ++c) {
          ASSERT_EQ(win.pixels[((y - y0) * win.width + (x - x0)) * 3 + c],
                    full.pixels[(y * w + x) * 3 + c])
              << w << "x" << h << " at " << x << "," << y;
        }
      }
    }
  }
}

// The vectorized passes must give the scalar (Pillow's loop order) bytes: every filter, down and
// up, windows touching the right edge (where the SIMD loads would leave the row), 1-pixel rows.
TEST(Resample, SimdEqualsScalar) {
  const ResampleFilter filters[] = {ResampleFilter::kBox, ResampleFilter::kBilinear,
                                    ResampleFilter::kHamming, ResampleFilter::kBicubic,
                                    ResampleFilter::kLanczos};
  const std::pair<int, int> sizes[] = {{1, 1},   {2, 5},    {5, 3},   {7, 9},
                                       {61, 37}, {300, 20}, {17, 250}};
  unsigned seed = 10;
  for (auto [iw, ih] : sizes) {
    RgbImage im = random_image(iw, ih, ++seed);
    for (auto [w, h] : {std::pair{1, 1}, {3, 2}, {13, 11}, {64, 40}, {iw + 3, ih}, {iw, ih + 2}}) {
      for (ResampleFilter f : filters) {
        for (int x0 : {0, w / 3}) {
          RgbImage simd = image_resize_window(im, w, h, x0, 0, w, h, f, ResampleKernels::kSimd);
          RgbImage scalar = image_resize_window(im, w, h, x0, 0, w, h, f, ResampleKernels::kScalar);
          ASSERT_EQ(simd.pixels, scalar.pixels)
              << iw << "x" << ih << " -> " << w << "x" << h << " filter " << static_cast<int>(f);
        }
      }
    }
  }
}

}  // namespace
}  // namespace clipsearch
