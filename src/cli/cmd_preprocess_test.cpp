// End to end: `clipsearch preprocess` writes the reference's pixel_values for an image, and
// fails with a message naming the file for a bad one.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/npy.h"

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// Runs a shell command, returns its exit status and stdout+stderr.
int run(const std::string& cmd, std::string* output) {
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return -1;
  std::array<char, 512> buf;
  while (fgets(buf.data(), buf.size(), p)) *output += buf.data();
  int status = pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(PreprocessCommand, WritesTheReferenceTensor) {
  const std::string ref = env("CLIPSEARCH_REFERENCE_DIR") + "/image";
  const std::string out = testing::TempDir() + "/preprocess_test.npy";
  std::string log;
  int rc = run(env("CLIPSEARCH_BINARY") + " preprocess --model " + ref + "/models/clip224 " + ref +
                   "/cases/jpeg_q85_s2_prog.jpg --exif ignore --output " + out,
               &log);
  ASSERT_EQ(rc, 0) << log;
  auto ours = clipsearch::npy_read(out);
  auto want = clipsearch::npy_read(ref + "/cases/jpeg_q85_s2_prog.clip224.npy");
  ASSERT_TRUE(ours.ok() && want.ok());
  EXPECT_EQ(ours->shape, (std::vector<int64_t>{3, 224, 224}));
  ASSERT_EQ(ours->data.size(), want->data.size());
  for (size_t i = 0; i < ours->data.size(); ++i) {
    ASSERT_LE(std::fabs(ours->data[i] - want->data[i]), 1e-6f) << i;
  }
  std::remove(out.c_str());
}

// Chinese-CLIP's config: size {"height": 200, "width": 240}, the whole image resized to exactly
// 240 x 200, then a 192 x 192 crop (ChineseCLIPImageProcessor's tensor).
TEST(PreprocessCommand, ExactResizeConfig) {
  const std::string ref = env("CLIPSEARCH_REFERENCE_DIR") + "/image";
  const std::string out = testing::TempDir() + "/preprocess_cn_test.npy";
  std::string log;
  int rc = run(env("CLIPSEARCH_BINARY") + " preprocess --model " + ref + "/models/cnclip_200x240 " +
                   ref + "/cases/jpeg_q85_s2_prog.jpg --exif ignore --output " + out,
               &log);
  ASSERT_EQ(rc, 0) << log;
  auto ours = clipsearch::npy_read(out);
  auto want = clipsearch::npy_read(ref + "/cases/jpeg_q85_s2_prog.cnclip_200x240.npy");
  ASSERT_TRUE(ours.ok() && want.ok());
  EXPECT_EQ(ours->shape, (std::vector<int64_t>{3, 192, 192}));
  ASSERT_EQ(ours->data.size(), want->data.size());
  for (size_t i = 0; i < ours->data.size(); ++i) {
    ASSERT_LE(std::fabs(ours->data[i] - want->data[i]), 1e-6f) << i;
  }
  std::remove(out.c_str());
}

TEST(PreprocessCommand, BadImageFailsNamingTheFile) {
  const std::string ref = env("CLIPSEARCH_REFERENCE_DIR") + "/image";
  const std::string bad = testing::TempDir() + "/not_an_image.jpg";
  FILE* f = fopen(bad.c_str(), "w");
  fputs("hello", f);
  fclose(f);
  std::string log;
  int rc = run(env("CLIPSEARCH_BINARY") + " preprocess --model " + ref + "/models/clip224 " + bad +
                   " --output " + testing::TempDir() + "/x.npy",
               &log);
  EXPECT_EQ(rc, 1);
  EXPECT_NE(log.find("clipsearch: " + bad + ": not a supported image"), std::string::npos) << log;
  std::remove(bad.c_str());
}

}  // namespace
