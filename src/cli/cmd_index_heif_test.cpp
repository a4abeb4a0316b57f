// End to end: `clipsearch index` over phone-structured HEIC and AVIF files
// (tests/reference/make_heif_files.py) beside a JPEG, then `clipsearch search`. The catalog rows
// have the displayed size (irot applied, grid cropped), the format ("heif" / "avif") and the
// EXIF date; a search by each picture finds it first, `--type` keeps each format apart; truncated
// and corrupt files are per-file errors naming the file and libheif's reason while the others are
// indexed.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/path_json.h"
#include "index/catalog.h"
#include "testing/test_images.h"
#include "testing/test_util.h"

namespace clipsearch {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

testing::CommandResult cli(std::vector<std::string> args) {
  args.push_back("--threads");
  args.push_back("2");
  args.insert(args.begin(), testing::cli_binary());
  return testing::run_command(args);
}

std::vector<std::string> result_paths(const std::string& out) {
  std::vector<std::string> paths;
  std::stringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    std::string path;
    EXPECT_TRUE(path_from_json(json::parse(line)["path"].dump(), &path)) << line;
    paths.push_back(path);
  }
  return paths;
}

struct Want {
  const char* file;
  const char* format;
  int width, height;
  bool exif_date;
};

TEST(IndexHeif, PhoneFilesAreIndexedSearchableAndBadOnesReported) {
  testing::TempDir tmp;
  const std::string lib = (tmp.path() / "lib").string(), db = tmp.file("index.db");
  fs::create_directories(lib);
  const std::string cases = testing::reference_dir() + "/heif/cases/";
  const Want good[] = {{"heic_phone.heic", "heif", 820, 1180, true},
                       {"heic_primary_second.heic", "heif", 333, 251, false},
                       {"heic_10bit_grid.heic", "heif", 700, 530, true},
                       {"avif_alpha.avif", "avif", 251, 333, true},
                       {"avif_grid.avif", "avif", 600, 530, true}};
  const char* bad[] = {"heic_phone_cut_mdat.heic", "avif_grid_no_config.avif"};
  for (const Want& w : good) fs::copy_file(cases + w.file, lib + "/" + w.file);
  for (const char* b : bad) fs::copy_file(cases + b, lib + "/" + b);
  testing::write_file(lib + "/beach.jpg", testing::make_image(64, 48, 9, "jpeg"));

  const std::string model = testing::reference_dir() + "/clip_models/open_clip_gelu";
  auto r = cli({"index", lib, "--db", db, "--model", model, "--progress", "lines"});
  EXPECT_EQ(r.exit_code, 3) << r.err;  // some files failed
  EXPECT_NE(r.out.find("6 embedded"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("2 files failed"), std::string::npos) << r.err;
  // Each failure names its file and says what libheif found wrong.
  EXPECT_NE(r.err.find(lib + "/heic_phone_cut_mdat.heic: HEIF header: heif: Invalid input: "
                             "Unexpected end of file"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find(lib + "/avif_grid_no_config.avif: AVIF header: heif: Invalid input: "
                             "No 'av1C' box"),
            std::string::npos)
      << r.err;

  auto catalog = Catalog::open(db, Catalog::Mode::kReadOnly);
  ASSERT_TRUE(catalog.ok()) << catalog.status().message();
  for (const Want& w : good) {
    SCOPED_TRACE(w.file);
    auto row = (*catalog)->find_by_path(lib + "/" + w.file);
    ASSERT_TRUE(row.ok() && row->has_value());
    EXPECT_EQ((*row)->status, ImageStatus::kOk) << (*row)->error;
    EXPECT_EQ((*row)->format, w.format);
    EXPECT_EQ((*row)->width, w.width);
    EXPECT_EQ((*row)->height, w.height);
    EXPECT_EQ((*row)->date_from_exif, w.exif_date);
    if (w.exif_date) {
      EXPECT_EQ((*row)->date_taken_ns, 1685622896LL * 1000000000);  // 2023-06-01 12:34:56
    }

    auto s =
        cli({"search", "--db", db, "--all", "--image", lib + "/" + w.file, "--json", "-k", "1"});
    ASSERT_EQ(s.exit_code, 0) << s.err;
    EXPECT_EQ(result_paths(s.out), std::vector<std::string>{lib + "/" + w.file});
  }
  const std::pair<const char*, size_t> per_format[] = {{"heif", 3}, {"avif", 2}, {"jpeg", 1}};
  for (const auto& [format, count] : per_format) {
    auto s = cli({"search", "--image", lib + "/beach.jpg", "--db", db, "--all", "--type", format,
                  "--json", "-k", "100"});
    ASSERT_EQ(s.exit_code, 0) << s.err;
    const auto paths = result_paths(s.out);
    EXPECT_EQ(paths.size(), count) << s.out;
    for (const auto& p : paths) {
      EXPECT_EQ((*(*catalog)->find_by_path(p))->format, format) << p;
    }
  }
}

}  // namespace
}  // namespace clipsearch
