// Differential test over the unusual BMP and TIFF modes (tests/reference/make_image_modes.py):
// where Pillow 9.4 reads a file, clipsearch gives its RGB pixels exactly and the tensor of
// CLIPImageProcessor within 1e-6; where Pillow refuses it, clipsearch refuses it with an error
// naming the file. Options as the reference: 16-bit clipped, EXIF as the case says (a TIFF's
// orientation tag is applied either way, as Pillow applies it on load).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "clipsearch/image.h"
#include "core/npy.h"
#include "testing/test_util.h"

namespace clipsearch {
namespace {

std::string ref_dir() { return testing::reference_subdir("image_modes"); }

// Samples that differ, and the first one's position.
std::string describe_diff(const RgbImage& ours, const std::vector<uint8_t>& want) {
  size_t n = 0, first = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    if (ours.pixels[i] != want[i] && n++ == 0) first = i;
  }
  if (n == 0) return "";
  const size_t px = first / 3;
  return std::to_string(n) + " samples differ; first at x=" + std::to_string(px % ours.width) +
         " y=" + std::to_string(px / ours.width) + " channel " + std::to_string(first % 3) +
         ": ours " + std::to_string(ours.pixels[first]) + ", Pillow's " +
         std::to_string(want[first]);
}

TEST(ImageModes, PillowsPixelsOrBothRefuse) {
  std::ifstream mf(ref_dir() + "/manifest.json");
  ASSERT_TRUE(mf.good()) << "missing " << ref_dir() << "/manifest.json (fixture not run?)";
  const nlohmann::json manifest = nlohmann::json::parse(mf);
  Result<PreprocessConfig> cfg = preprocess_config_load(ref_dir() + "/models/clip224");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  int read = 0, refused = 0, tensors = 0;
  for (const auto& c : manifest["cases"]) {
    const std::string file = ref_dir() + "/cases/" + c["file"].get<std::string>();
    SCOPED_TRACE("case " + c["id"].get<std::string>());
    DecodeOptions opt;
    opt.exif = c["exif"] == "apply" ? ExifMode::kApply : ExifMode::kIgnore;
    opt.sixteen_bit = SixteenBit::kClip;
    Result<RgbImage> ours = image_decode_file(file, opt);
    if (c["pillow"] == "refuses") {
      EXPECT_FALSE(ours.ok()) << "Pillow refuses it (" << c["error"].get<std::string>()
                              << "), clipsearch decoded it";
      if (!ours.ok()) {
        EXPECT_NE(ours.status().message().find(file), std::string::npos) << ours.status().message();
      }
      ++refused;
      continue;
    }
    ASSERT_TRUE(ours.ok()) << ours.status().message();
    ASSERT_EQ(ours->width, c["width"].get<int>());
    ASSERT_EQ(ours->height, c["height"].get<int>());
    const std::vector<uint8_t> want =
        testing::read_bytes(ref_dir() + "/cases/" + c["decoded"].get<std::string>());
    ASSERT_EQ(want.size(), ours->pixels.size());
    EXPECT_EQ(describe_diff(*ours, want), "") << "decoded pixels differ from Pillow's";
    ++read;
    if (!c.contains("tensor")) continue;
    Result<ImageTensor> t = image_preprocess_file(file, *cfg, opt);
    ASSERT_TRUE(t.ok()) << t.status().message();
    Result<NpyArray> r = npy_read(ref_dir() + "/cases/" + c["tensor"].get<std::string>());
    ASSERT_TRUE(r.ok()) << r.status().message();
    ASSERT_EQ(r->data.size(), t->data.size());
    float worst = 0;
    for (size_t i = 0; i < t->data.size(); ++i) {
      worst = std::max(worst, std::fabs(t->data[i] - r->data[i]));
    }
    EXPECT_LE(worst, 1e-6f) << "tensor differs from CLIPImageProcessor's";
    ++tensors;
  }
  std::cout << "[ info ] " << read << " files read as Pillow reads them (" << tensors
            << " tensors compared), " << refused << " refused as Pillow refuses them\n";
  EXPECT_GE(read, 80);
  EXPECT_GE(refused, 20);
}

}  // namespace
}  // namespace clipsearch
