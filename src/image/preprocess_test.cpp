#include "image/preprocess.h"

#include <gtest/gtest.h>

namespace clipsearch {
namespace {

TEST(Preprocess, ResizedSizeKeepsShortEdge) {
  int w, h;
  image_resized_size(640, 480, 224, &w, &h);
  EXPECT_EQ(w, 298);  // int(224 * 640 / 480) = int(298.67)
  EXPECT_EQ(h, 224);
  image_resized_size(480, 640, 224, &w, &h);
  EXPECT_EQ(w, 224);
  EXPECT_EQ(h, 298);
  image_resized_size(224, 1000, 224, &w, &h);  // short side already right: unchanged
  EXPECT_EQ(w, 224);
  EXPECT_EQ(h, 1000);
  image_resized_size(1, 1, 224, &w, &h);
  EXPECT_EQ(w, 224);
  EXPECT_EQ(h, 224);
  image_resized_size(3, 700, 224, &w, &h);
  EXPECT_EQ(w, 224);
  EXPECT_EQ(h, 52266);  // int(224 * 700 / 3)
}

// Chinese-CLIP's and SigLIP's resize: the whole image to exactly W x H, then the crop. The same
// pixels as Pillow's resize to W x H followed by the crop.
TEST(Preprocess, ExactResizeIgnoresTheAspectRatio) {
  RgbImage im{37, 11, {}};
  for (int i = 0; i < 37 * 11 * 3; ++i) im.pixels.push_back(static_cast<uint8_t>(i * 7 % 251));
  PreprocessConfig cfg;
  cfg.resize_height = 20;
  cfg.resize_width = 24;
  cfg.crop_height = cfg.crop_width = 16;
  int w = 0, h = 0;
  image_resize_target(cfg, im.width, im.height, &w, &h);
  EXPECT_EQ(w, 24);
  EXPECT_EQ(h, 20);
  RgbImage out = image_resize_crop(im, cfg);
  ASSERT_EQ(out.width, 16);
  ASSERT_EQ(out.height, 16);
  RgbImage full = image_resize(im, 24, 20, cfg.resample);
  for (int y = 0; y < 16; ++y) {
    for (int x = 0; x < 48; ++x) {
      // Offsets floor((20 - 16) / 2) = 2 rows, floor((24 - 16) / 2) = 4 columns.
      ASSERT_EQ(out.pixels[y * 48 + x], full.pixels[(y + 2) * 24 * 3 + 4 * 3 + x]) << y << " " << x;
    }
  }
  // One axis already at its size: only the other is resampled, as Pillow does.
  cfg.resize_width = 37;
  cfg.do_center_crop = false;
  RgbImage tall = image_resize_crop(im, cfg);
  ASSERT_EQ(tall.width, 37);
  ASSERT_EQ(tall.height, 20);
  EXPECT_EQ(tall.pixels, image_resize(im, 37, 20, cfg.resample).pixels);
  cfg.do_resize = false;
  image_resize_target(cfg, 5, 7, &w, &h);
  EXPECT_EQ(w, 5);
  EXPECT_EQ(h, 7);
}

TEST(Preprocess, CropOffsetRounding) {
  EXPECT_EQ(image_crop_offset(298, 224, false), 37);
  EXPECT_EQ(image_crop_offset(225, 224, false), 0);  // floor(0.5)
  EXPECT_EQ(image_crop_offset(225, 224, true), 0);   // round(0.5) = 0 (half to even)
  EXPECT_EQ(image_crop_offset(227, 224, false), 1);  // floor(1.5)
  EXPECT_EQ(image_crop_offset(227, 224, true), 2);   // round(1.5) = 2
  EXPECT_EQ(image_crop_offset(229, 224, true), 2);   // round(2.5) = 2
  EXPECT_EQ(image_crop_offset(64, 80, false), -8);   // padding
  EXPECT_EQ(image_crop_offset(64, 81, true), -8);
}

TEST(Preprocess, NormalizeMatchesReferenceArithmetic) {
  PreprocessConfig cfg;
  RgbImage im{1, 1, {0, 128, 255}};
  ImageTensor t = image_normalize(im, cfg);
  ASSERT_EQ(t.data.size(), 3u);
  float x = static_cast<float>(128 * (1.0 / 255.0));
  EXPECT_EQ(t.data[1], (x - 0.4578275f) / 0.26130258f);
  EXPECT_EQ(t.data[0], (0.0f - 0.48145466f) / 0.26862954f);
}

TEST(Preprocess, CropLargerThanImageIsZeroPadded) {
  PreprocessConfig cfg;
  cfg.shortest_edge = 4;
  cfg.crop_height = 6;
  cfg.crop_width = 5;
  RgbImage im{4, 4, std::vector<uint8_t>(48, 200)};
  RgbImage out = image_resize_crop(im, cfg);
  ASSERT_EQ(out.width, 5);
  ASSERT_EQ(out.height, 6);
  EXPECT_EQ(out.pixels[0], 0);                  // top row is padding
  EXPECT_EQ(out.pixels[(1 * 5 + 0) * 3], 200);  // (0,1): image
  EXPECT_EQ(out.pixels[(1 * 5 + 4) * 3], 0);    // (4,1): right padding
}

}  // namespace
}  // namespace clipsearch
