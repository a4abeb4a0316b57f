// JPEG encoding from memory: a round trip through the project's JPEG decoder, and the error for
// pixels that do not match the stated size.
#include "image/vips_encode.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>

namespace clipsearch {
namespace {

TEST(EncodeJpeg, RoundTripsThroughTheDecoder) {
  RgbImage image;
  image.width = 33;
  image.height = 20;
  image.pixels.resize(static_cast<size_t>(image.width) * image.height * 3);
  for (size_t i = 0; i < image.pixels.size(); ++i)
    image.pixels[i] = static_cast<uint8_t>(i % 3 * 90);
  auto jpeg = image_encode_jpeg(image, 95);
  ASSERT_TRUE(jpeg.ok()) << jpeg.status().message();
  auto back = image_decode_memory(reinterpret_cast<const uint8_t*>(jpeg->data()), jpeg->size(),
                                  "encoded.jpg");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->width, 33);
  EXPECT_EQ(back->height, 20);
  int worst = 0;  // flat colour: a quality-95 JPEG stays close
  for (size_t i = 0; i < image.pixels.size(); ++i) {
    worst = std::max(worst, std::abs(int(back->pixels[i]) - int(image.pixels[i])));
  }
  EXPECT_LE(worst, 8);
}

TEST(EncodeJpeg, PixelsNotMatchingTheSizeAreAnError) {
  RgbImage image;
  image.width = 4;
  image.height = 4;
  image.pixels.resize(10);
  auto jpeg = image_encode_jpeg(image, 80);
  ASSERT_FALSE(jpeg.ok());
  EXPECT_EQ(jpeg.status().message(),
            "JPEG encoding of a 4x4 image: 10 bytes of pixels, expected width x height x 3");
}

}  // namespace
}  // namespace clipsearch
