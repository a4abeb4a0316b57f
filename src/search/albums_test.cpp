#include "search/albums.h"

#include <gtest/gtest.h>

namespace clipsearch::search {
namespace {

TEST(Albums, ParsesTheFullForm) {
  auto f = album_themes_parse(R"({"threshold": 0.2, "templates": ["a photo of {}."],
      "themes": [{"name": "travel", "keywords": ["mountain", "beach"]},
                 {"name": "food", "keywords": ["pizza"], "threshold": 0.4}]})",
                              "themes.json");
  ASSERT_TRUE(f.ok()) << f.status().message();
  ASSERT_EQ(f->themes.size(), 2u);
  EXPECT_EQ(f->themes[0].keywords, (std::vector<std::string>{"mountain", "beach"}));
  EXPECT_FLOAT_EQ(f->themes[0].threshold.value(), 0.2f);
  EXPECT_FLOAT_EQ(f->themes[1].threshold.value(), 0.4f);
  EXPECT_EQ(f->templates, std::vector<std::string>{"a photo of {}."});
}

TEST(Albums, ParsesTheShortFormWithTheDefaultThreshold) {
  auto f = album_themes_parse(R"({"travel": ["mountain", "beach"], "food": ["pizza"]})", "t");
  ASSERT_TRUE(f.ok());
  ASSERT_EQ(f->themes.size(), 2u);
  EXPECT_FALSE(f->themes[0].threshold.has_value());  // the model's default
  EXPECT_TRUE(f->templates.empty());
}

TEST(Albums, BadFilesNameTheProblem) {
  auto msg = [](const std::string& text) {
    return album_themes_parse(text, "themes.json").status().message();
  };
  EXPECT_NE(msg("{nope").find("themes.json: not valid JSON"), std::string::npos);
  EXPECT_NE(msg("[]").find("object"), std::string::npos);
  EXPECT_NE(msg("{}").find("no themes"), std::string::npos);
  EXPECT_NE(msg(R"({"travel": []})").find("travel"), std::string::npos);
  EXPECT_NE(msg(R"({"travel": "beach"})").find("list"), std::string::npos);
  EXPECT_NE(
      msg(R"({"themes": [{"name": "a", "keywords": ["x"], "threshold": "hi"}]})").find("threshold"),
      std::string::npos);
  EXPECT_NE(msg(R"({"themes": [{"keywords": ["x"]}]})").find("name"), std::string::npos);
  EXPECT_NE(msg(R"({"": ["x"]})").find("non-empty name"), std::string::npos);
  EXPECT_NE(
      msg(R"({"themes": [{"name": "a", "keywords": ["x"]}, {"name": "a", "keywords": ["y"]}]})")
          .find("twice"),
      std::string::npos);
  EXPECT_EQ(album_themes_load("/nonexistent/themes.json").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(album_themes_parse("[1]", "t.json").status().code(), StatusCode::kInvalidArgument);
}

TEST(Albums, MembershipByThresholdAndExclusive) {
  const std::vector<Embedding> themes = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
  const Embedding image = {0.8f, 0.6f, 0};
  std::vector<float> scores;
  auto joined = album_membership(image, themes, {0.5f, 0.5f, 0.5f}, false, &scores);
  EXPECT_EQ(joined, (std::vector<size_t>{0, 1}));
  EXPECT_FLOAT_EQ(scores[1], 0.6f);
  EXPECT_EQ(album_membership(image, themes, {0.5f, 0.5f, 0.5f}, true), std::vector<size_t>{0});
  EXPECT_EQ(album_membership(image, themes, {0.9f, 0.5f, 0.5f}, true),
            std::vector<size_t>{1});  // the best album it passes
  EXPECT_TRUE(album_membership(image, themes, {0.9f, 0.9f, 0.9f}, false).empty());
}

}  // namespace
}  // namespace clipsearch::search
