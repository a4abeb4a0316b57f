// Differential test against transformers 4.37.2 SiglipImageProcessor
// (tests/reference/make_siglip_image_reference.py, on make_image_reference.py's image set): the
// whole pipeline from the file gives its pixel_values within 1e-6, for the published config and
// a non-square bilinear one.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "clipsearch/image.h"
#include "core/npy.h"

namespace clipsearch {
namespace {

std::string ref_dir() {
  const char* d = std::getenv("CLIPSEARCH_REFERENCE_DIR");
  return std::string(d ? d : "reference") + "/siglip_image";
}

TEST(SiglipImageReference, MatchesSiglipImageProcessor) {
  std::ifstream mf(ref_dir() + "/manifest.json");
  ASSERT_TRUE(mf.good()) << "missing " << ref_dir() << "/manifest.json (fixture not run?)";
  const nlohmann::json manifest = nlohmann::json::parse(mf);
  std::map<std::string, PreprocessConfig> configs;
  std::map<std::string, int> checked;
  float worst = 0;
  for (const auto& c : manifest) {
    const std::string model = c["model"];
    SCOPED_TRACE(c["id"].get<std::string>() + " " + model);
    if (!configs.count(model)) {
      Result<PreprocessConfig> cfg = preprocess_config_load(ref_dir() + "/models/" + model);
      ASSERT_TRUE(cfg.ok()) << cfg.status().message();
      configs[model] = *cfg;
    }
    DecodeOptions opt;
    opt.exif = c["exif"] == "apply" ? ExifMode::kApply : ExifMode::kIgnore;
    opt.sixteen_bit = SixteenBit::kClip;  // the reference's behaviour, for parity
    Result<ImageTensor> t = image_preprocess_file(c["file"], configs[model], opt);
    ASSERT_TRUE(t.ok()) << t.status().message();
    Result<NpyArray> r = npy_read(ref_dir() + "/cases/" + c["tensor"].get<std::string>());
    ASSERT_TRUE(r.ok()) << r.status().message();
    ASSERT_EQ(r->shape, (std::vector<int64_t>{3, t->height, t->width}));
    float diff = 0;
    for (size_t i = 0; i < t->data.size(); ++i) {
      diff = std::max(diff, std::fabs(t->data[i] - r->data[i]));
    }
    EXPECT_LE(diff, 1e-6f) << "tensor differs from SiglipImageProcessor's";
    worst = std::max(worst, diff);
    ++checked[model];
  }
  std::cout << "[ info ] " << manifest.size() << " tensors compared, largest difference " << worst
            << "\n";
  EXPECT_GE(checked["siglip224"], 300);
  EXPECT_GE(checked["siglip_200x240"], 300);
}

}  // namespace
}  // namespace clipsearch
