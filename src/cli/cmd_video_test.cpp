// End to end: videos in a library (issue 23). Videos made by the ffmpeg CLI at test time (flat
// colour scenes, one per second) beside a photo; `index` embeds a few frames of each, `search`
// by the picture of one scene answers with the video and that scene's time, each video once;
// `status` counts items by kind; `duplicates` treats a video as one item; truncated and corrupt
// videos are per-file errors naming the file while the rest is indexed; an unchanged video is
// skipped by the next run.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "testing/test_images.h"
#include "testing/test_util.h"
#include "testing/test_videos.h"

namespace clipsearch {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string model() { return testing::reference_dir() + "/clip_models/open_clip_gelu"; }

testing::CommandResult cli(std::vector<std::string> args) {
  if (args[0] != "status") {
    args.push_back("--threads");
    args.push_back("2");
  }
  args.insert(args.begin(), testing::cli_binary());
  return testing::run_command(args);
}

std::vector<json> json_lines(const std::string& out) {
  std::vector<json> rows;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) rows.push_back(json::parse(line));
  }
  return rows;
}

class VideoCli : public ::testing::Test {
 protected:
  void SetUp() override {
    lib_ = (tmp_.path() / "lib").string();
    db_ = tmp_.file("index.db");
    fs::create_directories(lib_);
    testing::make_video(lib_ + "/scenes.mp4", spec_);  // red, green, blue, yellow
    fs::copy_file(lib_ + "/scenes.mp4", lib_ + "/copy.mp4");
    testing::VideoSpec webm = spec_;
    webm.container = "webm";
    webm.scenes = {0xff00ff, 0x00ffff};
    webm.creation_time = "2020-02-03T04:05:06Z";
    testing::make_video(lib_ + "/clip.webm", webm);
    testing::write_file(lib_ + "/photo.png", testing::make_image(40, 30, 7));
    const std::string bytes = testing::read_file(lib_ + "/scenes.mp4");
    testing::write_file(lib_ + "/cut.mp4", bytes.substr(0, bytes.size() / 2));
    std::string garbage = testing::read_file(lib_ + "/clip.webm").substr(0, 64);
    for (size_t i = 0; i < 4000; ++i) garbage += static_cast<char>((i * 7919) & 0xff);
    testing::write_file(lib_ + "/bad.webm", garbage);
  }
  std::vector<json> search_picture(uint32_t rgb, const std::vector<std::string>& extra = {}) {
    const std::string query = tmp_.file("query.png");
    testing::make_flat_png(query, 64, 48, rgb);
    std::vector<std::string> args = {"search", "--db", db_, "--image", query, "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = cli(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json_lines(r.out);
  }
  testing::TempDir tmp_;
  testing::VideoSpec spec_;
  std::string lib_, db_;
};

TEST_F(VideoCli, IndexedSearchedCountedAndBrokenOnesNamed) {
  auto r = cli(
      {"index", lib_, "--db", db_, "--model", model(), "--progress", "json", "--batch-size", "5"});
  ASSERT_EQ(r.exit_code, 3) << r.err;  // partial: two broken videos
  json summary = json::parse(r.out);
  EXPECT_EQ(summary["embedded"], 4);  // scenes.mp4, copy.mp4, clip.webm, photo.png
  EXPECT_EQ(summary["videos"], 3);
  EXPECT_EQ(summary["frames"], 4 + 4 + 2);
  EXPECT_EQ(summary["failed"], 2);
  EXPECT_EQ(summary["images"], 4);
  std::set<std::string> failed;
  for (const json& f : summary["failures"]) {
    const std::string path = f["path"];
    failed.insert(fs::path(path).filename().string());
    EXPECT_NE(f["error"].get<std::string>().find(path), std::string::npos) << f.dump();
  }
  EXPECT_EQ(failed, (std::set<std::string>{"bad.webm", "cut.mp4"}));

  // The picture of the third scene (blue, 2-3 s) finds both copies at 2.5 s, each once.
  auto hits = search_picture(0x0000ff, {"-k", "10"});
  ASSERT_EQ(hits.size(), 4u);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(hits[i]["format"], "mp4") << hits[i].dump();
    EXPECT_EQ(hits[i]["time"], 2.5) << hits[i].dump();
    EXPECT_EQ(hits[i]["duration"], 4.0);
    EXPECT_GT(hits[i]["score"].get<double>(), 0.999);
  }
  EXPECT_NE(hits[0]["path"], hits[1]["path"]);
  // The webm's second scene (cyan, 1-2 s); a photo has no time.
  hits = search_picture(0x00ffff, {"-k", "1"});
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(fs::path(hits[0]["path"].get<std::string>()).filename(), "clip.webm");
  EXPECT_EQ(hits[0]["time"], 1.5);
  EXPECT_EQ(hits[0]["date"], 1580702706);  // its creation_time
  hits = search_picture(0x00ffff, {"-k", "10", "--type", "png"});
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_FALSE(hits[0].contains("time"));
  EXPECT_FALSE(hits[0].contains("duration"));
  // Paging counts items: the four items over pages of one, none repeated.
  std::set<std::string> paged;
  for (int offset = 0; offset < 4; ++offset) {
    hits = search_picture(0xffff00, {"-k", "1", "--offset", std::to_string(offset)});
    ASSERT_EQ(hits.size(), 1u);
    paged.insert(hits[0]["path"].get<std::string>());
  }
  EXPECT_EQ(paged.size(), 4u);

  // Counts by kind.
  r = cli({"status", "--db", db_, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json status = json::parse(r.out);
  EXPECT_EQ(status["images"], 4);
  EXPECT_EQ(status["errors"], 2);
  json kinds = status["kinds"];
  ASSERT_EQ(kinds.size(), 3u) << kinds.dump();
  EXPECT_EQ(kinds[0],
            json::parse(R"({"format": "mp4", "kind": "video", "items": 2, "frames": 8})"));
  EXPECT_EQ(kinds[1], json::parse(R"({"format": "png", "kind": "photo", "items": 1})"));
  EXPECT_EQ(kinds[2],
            json::parse(R"({"format": "webm", "kind": "video", "items": 1, "frames": 2})"));

  // The two copies are one group of duplicates: each video is one item.
  // (A random-weight model finds flat colours alike: the threshold is that of equal content.)
  r = cli({"duplicates", "--db", db_, "--json", "--threshold", "0.99999"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("copy.mp4"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("scenes.mp4"), std::string::npos);
  EXPECT_EQ(r.out.find("clip.webm"), std::string::npos);

  // Nothing changed: nothing decoded again.
  r = cli({"index", "--db", db_, "--progress", "json"});
  summary = json::parse(r.out);
  EXPECT_EQ(summary["unchanged"], 6);
  EXPECT_EQ(summary["embedded"], 0);
  EXPECT_EQ(summary["decoded"], 0);
}

TEST_F(VideoCli, VideoFramesZeroLeavesVideosOut) {
  auto r = cli({"index", lib_, "--db", db_, "--model", model(), "--progress", "json",
                "--video-frames", "0"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json summary = json::parse(r.out);
  EXPECT_EQ(summary["embedded"], 1);
  EXPECT_EQ(summary["not_images"], 5);
}

}  // namespace
}  // namespace clipsearch
