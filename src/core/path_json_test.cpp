// path_json: the one escaping rule for printing paths (bytes) — round trips and Python's
// surrogateescape spelling of bytes that are not UTF-8.
#include "core/path_json.h"

#include <gtest/gtest.h>

namespace clipsearch {
namespace {

TEST(PathJson, EscapesLikeJsonAndSurrogateEscape) {
  EXPECT_EQ(path_json("/a/b.jpg"), "\"/a/b.jpg\"");
  EXPECT_EQ(path_json("a\"b\\c\nd"), "\"a\\\"b\\\\c\\nd\"");
  EXPECT_EQ(path_json(std::string("x\x01y")), "\"x\\u0001y\"");
  EXPECT_EQ(path_json("caf\xC3\xA9"), "\"caf\xC3\xA9\"");             // valid UTF-8 kept
  EXPECT_EQ(path_json("bad\xFF\xC3"), "\"bad\\udcff\\udcc3\"");       // invalid bytes
  EXPECT_EQ(path_json("\xED\xA0\x80"), "\"\\udced\\udca0\\udc80\"");  // encoded surrogate
  EXPECT_EQ(path_json("%_ '"), "\"%_ '\"");
}

TEST(PathJson, RoundTrips) {
  std::string all;
  for (int c = 1; c < 256; ++c) all += static_cast<char>(c);
  for (const std::string& s : {std::string("plain"), all, std::string("\xF0\x9F\x98\x80 emoji"),
                               std::string("\xC3\x28 \xE2\x82"), std::string("tab\there")}) {
    std::string back;
    ASSERT_TRUE(path_from_json(path_json(s), &back)) << path_json(s);
    EXPECT_EQ(back, s);
  }
  std::string out;
  EXPECT_FALSE(path_from_json("no quotes", &out));
  EXPECT_FALSE(path_from_json("\"\\u12\"", &out));
}

}  // namespace
}  // namespace clipsearch
