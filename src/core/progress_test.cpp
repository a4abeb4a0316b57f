// Progress: what each style writes (plain lines, JSON Lines, a bar redrawn in place).
#include "core/progress.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace clipsearch {
namespace {

std::string run(ProgressStyle style) {
  std::FILE* f = std::tmpfile();
  {
    Progress p(style, "indexing", f);
    p.update(0, 10, 0);
    p.update(5, 10, 1);   // throttled: within the interval of the first draw
    p.update(10, 10, 2);  // done == total: always drawn
    p.finish();
  }
  std::string out(4096, '\0');
  std::rewind(f);
  out.resize(std::fread(out.data(), 1, out.size(), f));
  std::fclose(f);
  return out;
}

TEST(Progress, Styles) {
  const std::string lines = run(ProgressStyle::kLines);
  EXPECT_NE(lines.find("indexing: 0/10 files"), std::string::npos) << lines;
  EXPECT_EQ(lines.find("5/10"), std::string::npos) << lines;
  EXPECT_NE(lines.find("10/10 files"), std::string::npos);
  EXPECT_NE(lines.find("2 errors, done"), std::string::npos) << lines;

  const std::string json = run(ProgressStyle::kJson);
  EXPECT_NE(json.find("{\"event\": \"progress\", \"done\": 10, \"total\": 10, \"errors\": 2"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find("\"final\": true}"), std::string::npos);

  const std::string bar = run(ProgressStyle::kBar);
  EXPECT_NE(bar.find("\r"), std::string::npos);
  EXPECT_NE(bar.find("[##############################] 10/10"), std::string::npos) << bar;
  EXPECT_NE(bar.find("2 errors"), std::string::npos);
  EXPECT_EQ(bar.back(), '\n');

  EXPECT_EQ(run(ProgressStyle::kNone), "");
}

TEST(Progress, ParsesStyles) {
  ProgressStyle s;
  EXPECT_TRUE(progress_style_parse("json", stderr, &s));
  EXPECT_EQ(s, ProgressStyle::kJson);
  std::FILE* f = std::tmpfile();
  EXPECT_TRUE(progress_style_parse("auto", f, &s));
  EXPECT_EQ(s, ProgressStyle::kLines);  // not a terminal
  std::fclose(f);
  EXPECT_FALSE(progress_style_parse("fancy", stderr, &s));
}

}  // namespace
}  // namespace clipsearch
