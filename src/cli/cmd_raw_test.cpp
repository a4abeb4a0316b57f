// End to end with camera RAW (issue 23): a folder of DNGs (with and without an embedded preview,
// one rotated, one truncated) and a JPEG is indexed; each DNG's row says "dng" and its displayed
// size; its stored embedding equals `embed --image` of the file; a search by a DNG finds it
// first; the truncated DNG is a per-file error and everything else is indexed; `preprocess`
// takes --raw-mode; the page's thumbnail of a rotated DNG is upright.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/npy.h"
#include "index/catalog.h"
#include "server/thumbnails.h"
#include "testing/test_images.h"
#include "testing/test_util.h"

namespace clipsearch {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string model() { return testing::reference_dir() + "/clip_models/open_clip_gelu"; }
std::string raw_case(const std::string& name) {
  return testing::reference_dir() + "/raw/cases/" + name;
}

testing::CommandResult cli(std::vector<std::string> args) {
  if (args[0] != "preprocess") {
    args.push_back("--threads");
    args.push_back("2");
  }
  args.insert(args.begin(), testing::cli_binary());
  return testing::run_command(args);
}

class RawCli : public ::testing::Test {
 protected:
  void SetUp() override {
    lib_ = (tmp_.path() / "lib").string();
    db_ = tmp_.file("catalog/index.db");
    fs::create_directories(lib_);
    for (const char* f : {"preview_rggb.dng", "nopreview_gbrg.dng", "preview_orient6_apply.dng",
                          "truncated_raw.dng"}) {
      fs::copy_file(raw_case(f), lib_ + "/" + f);
    }
    testing::write_file(lib_ + "/photo.jpg", testing::make_image(64, 48, 3, "jpeg"));
  }
  testing::TempDir tmp_;
  std::string lib_, db_;
};

TEST_F(RawCli, IndexedSearchableAndABrokenOneIsAPerFileError) {
  auto r = cli({"index", lib_, "--db", db_, "--model", model(), "--progress", "json"});
  EXPECT_EQ(r.exit_code, 3) << r.err;  // one file failed
  const json summary = json::parse(r.out);
  EXPECT_EQ(summary["embedded"], 4);
  ASSERT_EQ(summary["failures"].size(), 1u) << r.out;
  EXPECT_EQ(
      summary["failures"][0]["error"],
      lib_ + "/truncated_raw.dng: DNG: cannot read the raw data (LibRaw: Input/output error)");

  auto catalog = Catalog::open(db_, Catalog::Mode::kReadOnly);
  ASSERT_TRUE(catalog.ok()) << catalog.status().message();
  EXPECT_EQ((*catalog)->stats()->images, 4);
  struct Want {
    const char* file;
    const char* format;
    int width, height;
  };
  for (const Want& w :
       {Want{"preview_rggb.dng", "dng", 96, 64}, Want{"nopreview_gbrg.dng", "dng", 96, 64},
        Want{"preview_orient6_apply.dng", "dng", 64, 96},  // rotated
        Want{"photo.jpg", "jpeg", 64, 48}}) {
    SCOPED_TRACE(w.file);
    const std::string path = lib_ + "/" + w.file;
    auto row = (*catalog)->find_by_path(path);
    ASSERT_TRUE(row.ok() && row->has_value());
    EXPECT_EQ((*row)->format, w.format);
    EXPECT_EQ((*row)->width, w.width);
    EXPECT_EQ((*row)->height, w.height);
    auto e = cli({"embed", "--model", model(), "--image", path});
    ASSERT_EQ(e.exit_code, 0) << e.err;
    const auto want = json::parse(e.out)["embedding"].get<std::vector<float>>();
    auto got = (*catalog)->get_embedding((*row)->id);
    ASSERT_TRUE(got.ok());
    ASSERT_EQ(got->size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR((*got)[i], want[i], 1e-5);

    auto s = cli({"search", "--db", db_, "--image", path, "-k", "1", "--json"});
    ASSERT_EQ(s.exit_code, 0) << s.err;
    EXPECT_EQ(json::parse(s.out.substr(0, s.out.find('\n')))["path"], path) << s.out;
  }
}

TEST_F(RawCli, PreprocessTakesTheRawMode) {
  const std::string file = lib_ + "/preview_rggb.dng";
  const std::string preview = tmp_.file("preview.npy"), develop = tmp_.file("develop.npy");
  auto r = cli({"preprocess", "--model", model(), file, "--output", preview});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = cli({"preprocess", "--model", model(), file, "--raw-mode", "develop", "--output", develop});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto a = npy_read(preview), b = npy_read(develop);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ(a->data.size(), b->data.size());
  EXPECT_NE(a->data, b->data) << "--raw-mode develop gave the preview's tensor";
  r = cli({"preprocess", "--model", model(), lib_ + "/truncated_raw.dng", "--output", develop});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("truncated_raw.dng: DNG:"), std::string::npos) << r.err;
}

TEST_F(RawCli, ThePagesThumbnailIsTheOrientedPreview) {
  auto jpeg = server::thumbnail_jpeg(lib_ + "/preview_orient6_apply.dng", 48, {});
  ASSERT_TRUE(jpeg.ok()) << jpeg.status().message();
  auto t = image_decode_memory(reinterpret_cast<const uint8_t*>(jpeg->data()), jpeg->size(),
                               "thumbnail");
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->width, 32);  // stored 96x64, shown 64x96
  EXPECT_EQ(t->height, 48);
  auto broken = server::thumbnail_jpeg(lib_ + "/truncated_raw.dng", 48, {});
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.status().message().find("truncated_raw.dng: DNG:"), std::string::npos)
      << broken.status().message();
}

}  // namespace
}  // namespace clipsearch
