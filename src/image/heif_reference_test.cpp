// Differential test over HEIC and AVIF files with the structure phones write
// (tests/reference/make_heif_files.py): a grid primary cropped at its edges, a thumbnail, an Exif
// item, a Display P3 profile, irot/imir, 10-bit samples, alpha, a primary that is not the first
// image. The reference is pillow-heif through Pillow's convert("RGB"): clipsearch gives the same
// RGB pixels (measured identical: both decode with libheif, libde265 / libaom, and convert
// YCbCr the same way; the test allows no difference) and CLIPImageProcessor's tensor within
// 1e-6, with EXIF applied or ignored (irot/imir always apply, the EXIF orientation never does);
// the header gives the displayed size, the format and the EXIF date; truncated and corrupt files
// are errors naming the file.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "clipsearch/image.h"
#include "core/npy.h"
#include "image/decode.h"
#include "testing/fixture_manifest.h"
#include "testing/test_util.h"

namespace clipsearch {
namespace {

std::string ref_dir() { return testing::reference_subdir("heif"); }

nlohmann::json manifest() { return testing::read_fixture_manifest(ref_dir()); }

std::string case_path(const nlohmann::json& c) {
  return ref_dir() + "/cases/" + c["file"].get<std::string>();
}

// Samples that differ, the largest difference, and the first one's position.
std::string describe_diff(const RgbImage& ours, const std::vector<uint8_t>& want) {
  size_t n = 0, first = 0;
  int worst = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    if (ours.pixels[i] == want[i]) continue;
    if (n++ == 0) first = i;
    worst = std::max(worst, std::abs(int{ours.pixels[i]} - int{want[i]}));
  }
  if (n == 0) return "";
  const size_t px = first / 3;
  return std::to_string(n) + " samples differ (at most by " + std::to_string(worst) +
         "); first at x=" + std::to_string(px % ours.width) +
         " y=" + std::to_string(px / ours.width) + ": ours " + std::to_string(ours.pixels[first]) +
         ", pillow-heif's " + std::to_string(want[first]);
}

void expect_reference_pixels(const nlohmann::json& c, ExifMode exif) {
  const std::string file = case_path(c);
  DecodeOptions opt;
  opt.exif = exif;
  Result<RgbImage> ours = image_decode_file(file, opt);
  ASSERT_TRUE(ours.ok()) << ours.status().message();
  ASSERT_EQ(ours->width, c["width"].get<int>());
  ASSERT_EQ(ours->height, c["height"].get<int>());
  const std::vector<uint8_t> want =
      testing::read_bytes(ref_dir() + "/cases/" + c["decoded"].get<std::string>());
  ASSERT_EQ(want.size(), ours->pixels.size());
  EXPECT_EQ(describe_diff(*ours, want), "") << "decoded pixels differ from pillow-heif's";
}

TEST(HeifReference, PillowHeifsPixelsWithExifAppliedOrIgnored) {
  int read = 0;
  const nlohmann::json m = manifest();
  for (const auto& c : m["cases"]) {
    if (c["reference"] != "reads") continue;
    SCOPED_TRACE("case " + c["id"].get<std::string>());
    // The displayed size the case was made for: the transforms and the grid's crop are right.
    ASSERT_EQ(c["width"], c["display"][0]);
    ASSERT_EQ(c["height"], c["display"][1]);
    expect_reference_pixels(c, ExifMode::kApply);
    expect_reference_pixels(c, ExifMode::kIgnore);
    ++read;
  }
  EXPECT_GE(read, 9);
}

TEST(HeifReference, ClipTensorsMatchCLIPImageProcessor) {
  Result<PreprocessConfig> cfg = preprocess_config_load(ref_dir() + "/models/clip224");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  const nlohmann::json m = manifest();
  for (const auto& c : m["cases"]) {
    if (c["reference"] != "reads") continue;
    SCOPED_TRACE("case " + c["id"].get<std::string>());
    Result<ImageTensor> t = image_preprocess_file(case_path(c), *cfg, DecodeOptions());
    ASSERT_TRUE(t.ok()) << t.status().message();
    Result<NpyArray> r = npy_read(ref_dir() + "/cases/" + c["tensor"].get<std::string>());
    ASSERT_TRUE(r.ok()) << r.status().message();
    ASSERT_EQ(r->data.size(), t->data.size());
    float worst = 0;
    for (size_t i = 0; i < t->data.size(); ++i) {
      worst = std::max(worst, std::fabs(t->data[i] - r->data[i]));
    }
    EXPECT_LE(worst, 1e-6f) << "tensor differs from CLIPImageProcessor's";
  }
}

TEST(HeifReference, HeaderHasDisplayedSizeFormatAndExifDate) {
  const nlohmann::json m = manifest();
  for (const auto& c : m["cases"]) {
    if (c["reference"] != "reads") continue;
    SCOPED_TRACE("case " + c["id"].get<std::string>());
    const std::vector<uint8_t> data = testing::read_bytes(case_path(c));
    Result<ImageHeader> h = image_read_header(data.data(), data.size(), case_path(c));
    ASSERT_TRUE(h.ok()) << h.status().message();
    EXPECT_EQ(h->format, c["format"] == "avif" ? ImageFormat::kAvif : ImageFormat::kHeif);
    EXPECT_EQ(h->width, c["display"][0].get<int>());
    EXPECT_EQ(h->height, c["display"][1].get<int>());
    EXPECT_EQ(h->orientation, 1) << "a HEIF's EXIF orientation is never applied";
    EXPECT_EQ(h->date_original, c.value("date", std::string()));
  }
}

TEST(HeifReference, TruncatedAndCorruptFilesAreErrorsNamingTheFile) {
  int refused = 0;
  const nlohmann::json m = manifest();
  for (const auto& c : m["cases"]) {
    if (c["reference"] != "refuses") continue;
    SCOPED_TRACE("case " + c["id"].get<std::string>());
    const std::string file = case_path(c);
    Result<RgbImage> ours = image_decode_file(file, DecodeOptions());
    ASSERT_FALSE(ours.ok()) << "pillow-heif refuses it (" << c["error"].get<std::string>()
                            << "), clipsearch decoded it";
    const std::string want = file + ": " + (c["format"] == "avif" ? "AVIF" : "HEIF");
    EXPECT_EQ(ours.status().message().rfind(want, 0), 0u) << ours.status().message();
    const std::vector<uint8_t> data = testing::read_bytes(file);
    Result<ImageHeader> h = image_read_header(data.data(), data.size(), file);
    if (!h.ok()) {
      EXPECT_EQ(h.status().message().rfind(want, 0), 0u) << h.status().message();
    }
    ++refused;
  }
  EXPECT_GE(refused, 6);
}

// Every cut of a small file (in steps) is an error naming the file or, where the cut only loses
// trailing bytes nothing points at, a full decode: never a crash (the sanitize build runs this).
TEST(HeifReference, EveryTruncationIsAnErrorOrTheImage) {
  for (const char* name : {"heic_single_mirror.heic", "avif_alpha.avif"}) {
    const std::string file = ref_dir() + "/cases/" + name;
    const std::vector<uint8_t> data = testing::read_bytes(file);
    ASSERT_FALSE(data.empty()) << file;
    for (size_t cut = 0; cut < data.size(); cut += std::max<size_t>(1, data.size() / 48)) {
      SCOPED_TRACE(std::string(name) + " cut at " + std::to_string(cut));
      Result<RgbImage> im = image_decode_memory(data.data(), cut, "cut.heic", DecodeOptions());
      if (!im.ok()) {
        EXPECT_EQ(im.status().message().rfind("cut.heic: ", 0), 0u) << im.status().message();
      }
    }
  }
}

}  // namespace
}  // namespace clipsearch
