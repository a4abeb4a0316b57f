// Camera RAW (tests/reference/make_raw_files.py): DNGs with and without an embedded preview, four
// CFA patterns, orientations, broken copies. The preview's pixels are Pillow's of the embedded
// JPEG exactly; developed pixels within a bound of rawpy's (LibRaw's Python binding) where the
// fixture had rawpy, and always: the size, the orientation (exactly the unoriented decode turned)
// and the hue of the colour patches. Broken files fail with a message naming the file.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "clipsearch/image.h"
#include "image/decode.h"
#include "image/orient.h"
#include "testing/fixture_manifest.h"
#include "testing/test_util.h"

namespace clipsearch {
namespace {

std::string ref_dir() { return testing::reference_subdir("raw"); }

std::string case_path(const std::string& file) { return ref_dir() + "/cases/" + file; }

nlohmann::json manifest() { return testing::read_fixture_manifest(ref_dir()); }

DecodeOptions options_of(const nlohmann::json& c) {
  DecodeOptions o;
  o.exif = c["exif"] == "apply" ? ExifMode::kApply : ExifMode::kIgnore;
  o.raw = c["raw"] == "develop" ? RawMode::kDevelop : RawMode::kPreview;
  return o;
}

// Mean and largest absolute difference of two images of the same size.
void differences(const RgbImage& a, const std::vector<uint8_t>& b, double* mean, int* worst) {
  double sum = 0;
  *worst = 0;
  for (size_t i = 0; i < b.size(); ++i) {
    const int d = std::abs(int(a.pixels[i]) - int(b[i]));
    sum += d;
    *worst = std::max(*worst, d);
  }
  *mean = sum / static_cast<double>(b.size());
}

// The patch's channel is the largest of the three in a 3x3 block around its centre.
void expect_patch_hues(const RgbImage& im, const nlohmann::json& patches) {
  for (const auto& p : patches) {
    const int cx = static_cast<int>(p["x"].get<double>() * im.width);
    const int cy = static_cast<int>(p["y"].get<double>() * im.height);
    double sum[3] = {0, 0, 0};
    for (int y = cy - 1; y <= cy + 1; ++y) {
      for (int x = cx - 1; x <= cx + 1; ++x) {
        for (int c = 0; c < 3; ++c) sum[c] += im.pixels[(size_t(y) * im.width + x) * 3 + c];
      }
    }
    const int want = p["channel"].get<int>();
    for (int c = 0; c < 3; ++c) {
      if (c != want) {
        EXPECT_GT(sum[want], sum[c] * 1.3) << p["name"].get<std::string>() << " patch";
      }
    }
  }
}

TEST(Raw, DecodesAsTheReferenceOrFailsNamingTheFile) {
  int exact = 0, bounded = 0, failed = 0;
  const nlohmann::json cases = manifest()["cases"];
  for (const auto& c : cases) {
    const std::string file = case_path(c["file"].get<std::string>());
    SCOPED_TRACE("case " + c["id"].get<std::string>());
    Result<RgbImage> ours = image_decode_file(file, options_of(c));
    if (c["expect"] == "fails") {
      ASSERT_FALSE(ours.ok()) << "a broken file decoded";
      EXPECT_NE(ours.status().message().find(file), std::string::npos) << ours.status().message();
      std::cout << "[ info ] " << ours.status().message() << "\n";
      ++failed;
      continue;
    }
    ASSERT_TRUE(ours.ok()) << ours.status().message();
    ASSERT_EQ(ours->width, c["width"].get<int>());
    ASSERT_EQ(ours->height, c["height"].get<int>());
    if (c.contains("patches") && (c["orientation"] == 1 || c["exif"] == "ignore")) {
      expect_patch_hues(*ours, c["patches"]);
    }
    if (!c.contains("want")) continue;
    const std::vector<uint8_t> want = testing::read_bytes(case_path(c["want"].get<std::string>()));
    ASSERT_EQ(want.size(), ours->pixels.size());
    double mean = 0;
    int worst = 0;
    differences(*ours, want, &mean, &worst);
    if (c["exact"].get<bool>()) {
      EXPECT_EQ(worst, 0) << "pixels differ from Pillow's decode of the embedded JPEG";
      ++exact;
    } else {
      // rawpy 0.28 bundles LibRaw 0.22, Debian has 0.20: the same AHD, camera white balance and
      // sRGB matrix. Measured on these files: mean 0.003, max 1 (rounding).
      std::cout << "[ info ] " << c["id"].get<std::string>() << ": mean " << mean << ", max "
                << worst << " from rawpy's develop\n";
      EXPECT_LE(mean, 0.05) << "mean difference from rawpy's develop";
      EXPECT_LE(worst, 2) << "largest difference from rawpy's develop";
      ++bounded;
    }
  }
  std::cout << "[ info ] " << exact << " exact, " << bounded << " within rawpy's bound, " << failed
            << " broken files refused\n";
  EXPECT_GE(exact, 4);
  EXPECT_GE(failed, 5);
}

RgbImage decode_ok(const std::string& file, const DecodeOptions& o) {
  Result<RgbImage> r = image_decode_file(case_path(file), o);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? *r : RgbImage();
}

// Orientation without a reference: the oriented decode is the unoriented one turned.
TEST(Raw, OrientationIsTheRawsFlip) {
  for (const char* id : {"develop_orient8", "preview_orient6"}) {
    SCOPED_TRACE(id);
    DecodeOptions apply, ignore;
    ignore.exif = ExifMode::kIgnore;
    apply.raw = ignore.raw = id[0] == 'd' ? RawMode::kDevelop : RawMode::kPreview;
    const RgbImage turned = decode_ok(std::string(id) + "_apply.dng", apply);
    const RgbImage stored = decode_ok(std::string(id) + "_ignore.dng", ignore);
    ASSERT_EQ(stored.width, 96);
    const RgbImage want = image_orient(stored, id[0] == 'd' ? 8 : 6);
    ASSERT_EQ(turned.width, want.width);
    EXPECT_TRUE(turned.pixels == want.pixels);
  }
}

TEST(Raw, PreviewAndDevelopDiffer) {
  DecodeOptions preview, develop;
  develop.raw = RawMode::kDevelop;
  const RgbImage a = decode_ok("preview_rggb.dng", preview);
  const RgbImage b = decode_ok("preview_rggb.dng", develop);
  ASSERT_EQ(a.pixels.size(), b.pixels.size());
  EXPECT_FALSE(a.pixels == b.pixels) << "develop gave the preview's pixels";
}

TEST(Raw, HeaderNamesTheFormat) {
  const std::vector<uint8_t> dng = testing::read_bytes(case_path("preview_orient6_apply.dng"));
  Result<ImageHeader> h = image_read_header(dng.data(), dng.size(), "x.dng");
  ASSERT_TRUE(h.ok()) << h.status().message();
  EXPECT_EQ(h->format, ImageFormat::kRaw);
  EXPECT_EQ(h->format_name, "DNG");
  EXPECT_EQ(h->width, 96);
  EXPECT_EQ(h->height, 64);
  EXPECT_EQ(h->orientation, 6);
  // A plain TIFF that names a camera maker stays a TIFF.
  const std::vector<uint8_t> tif = testing::read_bytes(case_path("camera_made.tif"));
  h = image_read_header(tif.data(), tif.size(), "x.tif");
  ASSERT_TRUE(h.ok()) << h.status().message();
  EXPECT_EQ(h->format, ImageFormat::kTiff);
  EXPECT_EQ(h->format_name, "TIFF");
}

// RAWs with magic bytes of their own are kept by the crawler's 32-byte sniff; these headers alone
// are not files LibRaw can read: an error naming the file and the kind.
TEST(Raw, OwnMagicBytesSniffAsRaw) {
  struct Case {
    std::string bytes;
    const char* kind;
  };
  const Case cases[] = {{std::string("FUJIFILMCCD-RAW 0201FF383501", 28), "RAF"},
                        {std::string("\0\0\0\x18"
                                     "ftypcrx \0\0\0\x01"
                                     "crx isom",
                                     24),
                         "CR3"},
                        {std::string("IIRO\x08\0\0\0", 8), "ORF"},
                        {std::string("IIU\0\x08\0\0\0", 8), "RW2"}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.kind);
    std::string file = c.bytes + std::string(200, '\x11');
    const auto* d = reinterpret_cast<const uint8_t*>(file.data());
    EXPECT_EQ(image_sniff_format(d, 32), ImageFormat::kRaw);
    Result<RgbImage> r = image_decode_memory(d, file.size(), "cam.raw", DecodeOptions());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().message().rfind(std::string("cam.raw: ") + c.kind + ": ", 0), 0u)
        << r.status().message();
  }
  // A TIFF without any RAW sign is a TIFF.
  const std::string tiff("II*\0\x08\0\0\0\0\0", 10);
  EXPECT_EQ(image_sniff_format(reinterpret_cast<const uint8_t*>(tiff.data()), tiff.size()),
            ImageFormat::kTiff);
}

TEST(Raw, LimitsApply) {
  const std::string file = case_path("nopreview_rggb.dng");
  DecodeOptions small;
  small.max_pixels = 1000;
  Result<RgbImage> r = image_decode_file(file, small);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("96x64 = 6144 pixels exceeds the limit of 1000"),
            std::string::npos)
      << r.status().message();
  DecodeOptions hurried;
  hurried.timeout_seconds = 1e-9;
  r = image_decode_file(file, hurried);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("decoding took longer than the limit"), std::string::npos)
      << r.status().message();
}

// Every prefix of a DNG with a preview and of one without, in both modes: a decode or an error
// naming the file, never a crash (the sanitize build runs this).
TEST(Raw, EveryTruncationIsAnErrorOrADecode) {
  for (const char* file : {"preview_rggb.dng", "nopreview_gbrg.dng"}) {
    const std::vector<uint8_t> whole = testing::read_bytes(case_path(file));
    ASSERT_GT(whole.size(), 1000u);
    int errors = 0;
    for (size_t n = 1; n < whole.size(); n += 61) {
      for (RawMode mode : {RawMode::kPreview, RawMode::kDevelop}) {
        DecodeOptions o;
        o.raw = mode;
        Result<RgbImage> r = image_decode_memory(whole.data(), n, "cut.dng", o);
        if (!r.ok()) {
          ++errors;
          EXPECT_EQ(r.status().message().rfind("cut.dng", 0), 0u) << r.status().message();
        }
      }
    }
    EXPECT_GT(errors, 0) << file;
  }
}

}  // namespace
}  // namespace clipsearch
