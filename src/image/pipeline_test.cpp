#include <gtest/gtest.h>

#include <fstream>

#include "clipsearch/image.h"
#include "clipsearch/threads.h"

namespace clipsearch {
namespace {

// A 1x1 24-bit BMP of the given colour (BMP needs no encoder library).
std::string write_bmp(const std::string& path, uint8_t r, uint8_t g, uint8_t b) {
  const uint8_t bmp[] = {'B', 'M', 58, 0, 0, 0, 0, 0, 0,  0, 54, 0, 0, 0, 40, 0, 0, 0, 1, 0,
                         0,   0,   1,  0, 0, 0, 1, 0, 24, 0, 0,  0, 0, 0, 4,  0, 0, 0, 0, 0,
                         0,   0,   0,  0, 0, 0, 0, 0, 0,  0, 0,  0, 0, 0, b,  g, r, 0};
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bmp), sizeof bmp);
  return path;
}

TEST(Pipeline, BatchFillsOneTensorPerFileAndNamesFailures) {
  set_num_threads(2);
  const std::string dir = testing::TempDir();
  std::vector<std::string> files = {write_bmp(dir + "/red.bmp", 255, 0, 0), dir + "/missing.png",
                                    write_bmp(dir + "/blue.bmp", 0, 0, 255)};
  PreprocessConfig cfg;
  cfg.shortest_edge = cfg.crop_height = cfg.crop_width = 8;
  std::vector<float> out;
  std::vector<Status> statuses;
  Status st = image_preprocess_batch(files, cfg, {}, &out, &statuses);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("missing.png"), std::string::npos) << st.message();
  EXPECT_EQ(st.code(), StatusCode::kNotFound);  // the failed file's own code
  ASSERT_EQ(statuses.size(), 3u);
  EXPECT_TRUE(statuses[0].ok());
  EXPECT_FALSE(statuses[1].ok());
  EXPECT_TRUE(statuses[2].ok());
  ASSERT_EQ(out.size(), 3u * 3 * 8 * 8);
  const size_t per = 3 * 8 * 8, plane = 8 * 8;
  // Red image: channel 0 is (1 - mean) / std, channel 2 is (0 - mean) / std.
  EXPECT_FLOAT_EQ(out[0], (1.0f - 0.48145466f) / 0.26862954f);
  EXPECT_FLOAT_EQ(out[2 * plane], (0.0f - 0.40821073f) / 0.27577711f);
  EXPECT_EQ(out[per], 0.0f);  // the failed file's slot stays zero
  EXPECT_FLOAT_EQ(out[2 * per + 2 * plane], (1.0f - 0.40821073f) / 0.27577711f);
  auto single = image_preprocess_file(files[2], cfg);
  ASSERT_TRUE(single.ok());
  EXPECT_TRUE(std::equal(single->data.begin(), single->data.end(), out.begin() + 2 * per));
}

// What DecodeMode::kFast may shrink to: each side at least twice what the resize makes of it.
TEST(Pipeline, DecodeOptionsFollowTheResize) {
  DecodeOptions fast;
  fast.mode = DecodeMode::kFast;
  PreprocessConfig cfg;
  cfg.shortest_edge = 336;
  EXPECT_EQ(image_decode_options_for(cfg, fast).fast_min_side, 336);
  EXPECT_EQ(image_decode_options_for(cfg, fast).mode, DecodeMode::kFast);
  // Exact 200 x 240: the larger side, so a 4:3 or 3:4 picture keeps >= 480 px on both sides.
  cfg.resize_height = 200;
  cfg.resize_width = 240;
  EXPECT_EQ(image_decode_options_for(cfg, fast).fast_min_side, 240);
  cfg.resize_height = 300;
  EXPECT_EQ(image_decode_options_for(cfg, fast).fast_min_side, 300);
  // Without a resize the crop takes the decoded pixels as they are: never shrunk.
  cfg.do_resize = false;
  EXPECT_EQ(image_decode_options_for(cfg, fast).mode, DecodeMode::kExact);
}

}  // namespace
}  // namespace clipsearch
