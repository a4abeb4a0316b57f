// Differential test against the Python reference (tests/reference/make_image_reference.py):
// Pillow decoding, and transformers' CLIPImageProcessor and ChineseCLIPImageProcessor / open_clip's
// transform on Pillow.
// - decoded RGB identical to Pillow's convert("RGB") (lossy WebP: within a small tolerance);
// - uint8 pixels after resize + centre crop identical to Pillow's, for every case and config
//   (every open_clip config on every case: where the reference wrote no pixels, their SHA-256);
// - normalized float32 tensors within 1e-6 of the reference.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "clipsearch/image.h"
#include "core/npy.h"
#include "core/sha256.h"
#include "testing/test_util.h"

namespace clipsearch {
namespace {

std::string ref_dir() { return testing::reference_subdir("image"); }

// Number of differing samples and the largest difference.
std::pair<size_t, int> diff(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
  size_t n = 0;
  int m = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    int d = std::abs(int(a[i]) - int(b[i]));
    n += d != 0;
    m = std::max(m, d);
  }
  return {n, m};
}

TEST(ImageReference, MatchesPillowAndClipImageProcessor) {
  std::ifstream mf(ref_dir() + "/manifest.json");
  ASSERT_TRUE(mf.good()) << "missing " << ref_dir() << "/manifest.json (fixture not run?)";
  nlohmann::json manifest = nlohmann::json::parse(mf);
  std::map<std::string, PreprocessConfig> configs;
  std::map<std::string, size_t> cases_of;  // model -> cases whose crop was compared
  int decoded_checked = 0, crops_checked = 0, tensors_checked = 0, digests_checked = 0;
  for (const auto& c : manifest["cases"]) {
    const std::string id = c["id"];
    const std::string file = ref_dir() + "/cases/" + c["file"].get<std::string>();
    SCOPED_TRACE("case " + id);
    DecodeOptions opt;
    opt.exif = c["exif"] == "apply" ? ExifMode::kApply : ExifMode::kIgnore;
    opt.sixteen_bit = SixteenBit::kClip;  // the reference's behaviour, for parity
    Result<RgbImage> ours = image_decode_file(file, opt);
    ASSERT_TRUE(ours.ok()) << ours.status().message();
    ASSERT_EQ(ours->width, c["width"].get<int>());
    ASSERT_EQ(ours->height, c["height"].get<int>());
    RgbImage ref = *ours;  // a lossless RGB PNG decodes to itself
    if (c.contains("decoded")) {
      ref.pixels = testing::read_bytes(ref_dir() + "/cases/" + c["decoded"].get<std::string>());
      ASSERT_EQ(ref.pixels.size(), ours->pixels.size());
      auto [n, m] = diff(ours->pixels, ref.pixels);
      if (c["decode_exact"].get<bool>()) {
        EXPECT_EQ(n, 0u) << "decoded pixels differ from Pillow's: " << n << " samples, max " << m;
      } else {
        EXPECT_LE(m, 8) << "lossy decode differs from Pillow's by more than 8";
        std::cout << "[ info ] " << id << ": " << n << " of " << ref.pixels.size()
                  << " samples differ from Pillow's decode, max " << m << "\n";
      }
      ++decoded_checked;
    }
    for (const auto& m : c["models"]) {
      const std::string model = m["model"];
      if (!configs.count(model)) {
        Result<PreprocessConfig> cfg = preprocess_config_load(ref_dir() + "/models/" + model);
        ASSERT_TRUE(cfg.ok()) << cfg.status().message();
        configs[model] = *cfg;
      }
      const PreprocessConfig& cfg = configs[model];
      // Resize + crop from the reference's own decoded pixels: the resampler alone.
      RgbImage crop = image_resize_crop(ref, cfg);
      ASSERT_EQ(crop.height, m["crop_height"].get<int>()) << model;
      ASSERT_EQ(crop.width, m["crop_width"].get<int>()) << model;
      ++cases_of[model];
      if (m.contains("crop_sha256")) {
        EXPECT_EQ(hex(sha256_bytes(crop.pixels.data(), crop.pixels.size())), m["crop_sha256"])
            << model << ": resized pixels differ from Pillow's (SHA-256)";
        ++digests_checked;
        continue;
      }
      std::vector<uint8_t> want =
          testing::read_bytes(ref_dir() + "/cases/" + m["crop"].get<std::string>());
      auto [n, mx] = diff(crop.pixels, want);
      EXPECT_EQ(n, 0u) << model << ": resized pixels differ from Pillow's: " << n
                       << " samples, max " << mx;
      ++crops_checked;
      if (m.contains("tensor") && c["decode_exact"].get<bool>()) {
        // The whole pipeline from the file.
        Result<ImageTensor> t = image_preprocess_file(file, cfg, opt);
        ASSERT_TRUE(t.ok()) << t.status().message();
        Result<NpyArray> r = npy_read(ref_dir() + "/cases/" + m["tensor"].get<std::string>());
        ASSERT_TRUE(r.ok()) << r.status().message();
        ASSERT_EQ(r->data.size(), t->data.size());
        float worst = 0;
        for (size_t i = 0; i < t->data.size(); ++i) {
          worst = std::max(worst, std::fabs(t->data[i] - r->data[i]));
        }
        EXPECT_LE(worst, 1e-6f) << model << ": tensor differs from the reference";
        ++tensors_checked;
      }
    }
  }
  std::cout << "[ info ] " << manifest["cases"].size() << " cases: " << decoded_checked
            << " decodes, " << crops_checked << " resize+crop, " << digests_checked
            << " resize+crop digests, " << tensors_checked << " tensors compared\n";
  EXPECT_GE(manifest["cases"].size(), 350u);
  EXPECT_GE(crops_checked, 300);
  // Every open_clip config, OpenAI's (224 px), RN50x4's (288 px, a ResNet tower), the 256 px
  // ViT's, LAION's mean and std and SigLIP's squash (the whole image to the square), on every
  // case.
  for (const char* model :
       {"openclip", "openclip_rn50x4", "openclip_256", "openclip_laion", "openclip_squash"}) {
    EXPECT_TRUE(configs.count(model)) << model;
    EXPECT_EQ(cases_of[model], manifest["cases"].size()) << model;
  }
  // Chinese-CLIP's exact resize (size {"height", "width"}), square and not, with their tensors
  // from ChineseCLIPImageProcessor.
  EXPECT_TRUE(configs.count("cnclip224") && configs["cnclip224"].resize_height == 224);
  EXPECT_TRUE(configs.count("cnclip_200x240") && configs["cnclip_200x240"].resize_width == 240);
  EXPECT_GE(cases_of["cnclip224"], 20u);
  EXPECT_GE(cases_of["cnclip_200x240"], 20u);
}

}  // namespace
}  // namespace clipsearch
