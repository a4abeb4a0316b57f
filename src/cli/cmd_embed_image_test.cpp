// End to end: `clipsearch embed --image` gives transformers' get_image_features (after
// CLIPImageProcessor on Pillow) for a random-weight model, and reports bad images by name.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/npy.h"
#include "testing/test_util.h"

namespace clipsearch {
namespace {

using nlohmann::json;

std::string image_ref() { return testing::reference_dir() + "/image"; }

TEST(EmbedImage, MatchesTransformersGetImageFeatures) {
  std::ifstream mf(image_ref() + "/manifest.json");
  ASSERT_TRUE(mf.good());
  json manifest = json::parse(mf);
  ASSERT_FALSE(manifest["embed"].empty());
  for (const auto& e : manifest["embed"]) {
    const std::string file = image_ref() + "/cases/" + e["file"].get<std::string>();
    const std::string exif = e["exif"];
    SCOPED_TRACE(file + " --exif " + exif);
    auto r = testing::run_command({testing::cli_binary(), "embed", "--model",
                                   image_ref() + "/models/embed64", "--image", file, "--exif", exif,
                                   "--threads", "2"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    json line = json::parse(r.out);
    EXPECT_EQ(line["kind"], "image");
    EXPECT_EQ(line["input"], file);
    auto ours = line["embedding"].get<std::vector<double>>();
    auto want = npy_read(image_ref() + "/cases/" + e["embedding"].get<std::string>());
    ASSERT_TRUE(want.ok()) << want.status().message();
    ASSERT_EQ(ours.size(), want->data.size());
    double dot = 0, na = 0, nb = 0, worst = 0;
    for (size_t i = 0; i < ours.size(); ++i) {
      dot += ours[i] * want->data[i];
      na += ours[i] * ours[i];
      nb += double(want->data[i]) * want->data[i];
      worst = std::max(worst, std::fabs(ours[i] - want->data[i]));
    }
    EXPECT_GE(dot / std::sqrt(na * nb), 0.99999);
    EXPECT_LE(worst, 1e-4);
  }
}

TEST(EmbedImage, ImagesComeAfterPixelsAndBeforeTexts) {
  const std::string model = image_ref() + "/models/embed64";
  const std::string a = image_ref() + "/cases/png_rgb.png";
  const std::string b = image_ref() + "/cases/gif.gif";
  auto r = testing::run_command({testing::cli_binary(), "embed", "--model", model, "--token-ids",
                                 "49406,320,49407", "--image", a, "--image", b});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::stringstream in(r.out);
  std::vector<json> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(json::parse(l));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0]["input"], a);
  EXPECT_EQ(lines[1]["input"], b);
  EXPECT_EQ(lines[2]["kind"], "text");
}

TEST(EmbedImage, BadImageIsNamed) {
  testing::TempDir tmp;
  const std::string bad = tmp.file("broken.jpg");
  std::ofstream(bad) << "\xFF\xD8\xFF garbage";
  auto r = testing::run_command(
      {testing::cli_binary(), "embed", "--model", image_ref() + "/models/embed64", "--image", bad});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(bad), std::string::npos) << r.err;
}

}  // namespace
}  // namespace clipsearch
