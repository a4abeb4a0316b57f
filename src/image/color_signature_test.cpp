#include "image/color_signature.h"

#include <gtest/gtest.h>

#include <cmath>

namespace clipsearch {
namespace {

RgbImage solid(int w, int h, uint8_t r, uint8_t g, uint8_t b) {
  RgbImage im;
  im.width = w;
  im.height = h;
  for (int i = 0; i < w * h; ++i) im.pixels.insert(im.pixels.end(), {r, g, b});
  return im;
}

TEST(ColorSignature, LabOfKnownColours) {
  // CIELAB (D65) reference values.
  const uint8_t white[3] = {255, 255, 255}, red[3] = {255, 0, 0}, black[3] = {0, 0, 0};
  auto w = color_srgb_to_lab(white);
  EXPECT_NEAR(w[0], 100, 0.01);
  EXPECT_NEAR(w[1], 0, 0.01);
  EXPECT_NEAR(w[2], 0, 0.01);
  auto r = color_srgb_to_lab(red);
  EXPECT_NEAR(r[0], 53.24, 0.05);
  EXPECT_NEAR(r[1], 80.09, 0.05);
  EXPECT_NEAR(r[2], 67.20, 0.05);
  EXPECT_NEAR(color_srgb_to_lab(black)[0], 0, 1e-4);
}

TEST(ColorSignature, SolidImageIsOneColour) {
  const auto sig = color_signature(solid(37, 23, 200, 40, 30));
  ASSERT_EQ(sig.colors.size(), 1u);
  EXPECT_FLOAT_EQ(sig.colors[0].weight, 1);
  const uint8_t rgb[3] = {200, 40, 30};
  EXPECT_NEAR(color_distance(sig, color_signature_of(rgb)), 0, 1e-3);
}

TEST(ColorSignature, TwoColourImageWeights) {
  RgbImage im = solid(100, 100, 0, 0, 255);
  for (int y = 0; y < 25; ++y) {  // top quarter red
    for (int x = 0; x < 100; ++x) {
      uint8_t* p = im.pixels.data() + (y * 100 + x) * 3;
      p[0] = 255;
      p[1] = p[2] = 0;
    }
  }
  const auto sig = color_signature(im);
  ASSERT_EQ(sig.colors.size(), 2u);
  EXPECT_NEAR(sig.colors[0].weight, 0.75, 0.02);  // blue
  EXPECT_NEAR(sig.colors[1].weight, 0.25, 0.02);  // red
  const auto round_trip = ColorSignature::unpack(sig.pack().data());
  ASSERT_EQ(round_trip.colors.size(), 2u);
  EXPECT_FLOAT_EQ(round_trip.colors[1].weight, sig.colors[1].weight);
}

TEST(ColorSignature, QueryDistanceToSolidImagesIsLabDistance) {
  const uint8_t query[3] = {192, 57, 43};
  const auto q = color_signature_of(query);
  const uint8_t colours[][3] = {{190, 60, 40}, {20, 200, 30}, {255, 255, 255}, {120, 30, 20}};
  for (const auto& c : colours) {
    const auto a = color_srgb_to_lab(query), b = color_srgb_to_lab(c);
    const float lab = std::sqrt((a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]) +
                                (a[2] - b[2]) * (a[2] - b[2]));
    const auto sig = color_signature(solid(16, 16, c[0], c[1], c[2]));
    EXPECT_NEAR(color_distance(q, sig), lab, 1e-3);
    EXPECT_NEAR(color_similarity(q, sig), std::exp(-lab / 25), 1e-5);
  }
}

TEST(ColorSignature, DistanceIsSymmetricAndZeroOnItself) {
  RgbImage im = solid(64, 64, 10, 200, 90);
  for (int i = 0; i < 64 * 20; ++i) im.pixels[static_cast<size_t>(i) * 3] = 250;
  const auto a = color_signature(im);
  const auto b = color_signature(solid(8, 8, 100, 100, 100));
  EXPECT_NEAR(color_distance(a, a), 0, 1e-3);
  EXPECT_FLOAT_EQ(color_distance(a, b), color_distance(b, a));
}

TEST(ColorSignature, ParseColours) {
  auto red = color_parse("#c0392b");
  ASSERT_TRUE(red.ok());
  EXPECT_EQ((*red)[0], 0xc0);
  EXPECT_EQ((*red)[1], 0x39);
  EXPECT_EQ((*red)[2], 0x2b);
  EXPECT_EQ(color_parse("#F00").value(), (std::array<uint8_t, 3>{255, 0, 0}));
  EXPECT_EQ(color_parse("Navy").value(), (std::array<uint8_t, 3>{0, 0, 128}));
  EXPECT_NE(color_parse("#12345").status().message().find("'#12345'"), std::string::npos);
  EXPECT_EQ(color_parse("blurple").status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(color_parse("#gggggg").ok());
}

}  // namespace
}  // namespace clipsearch
