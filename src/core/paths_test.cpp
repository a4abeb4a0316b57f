// absolute_path: the one absolute form of the paths users give (roots, folder filters, examples).
#include "core/paths.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace clipsearch {
namespace {

TEST(AbsolutePath, NormalizesWithoutResolvingLinks) {
  EXPECT_EQ(absolute_path("/a/./b/../c/"), "/a/c");
  EXPECT_EQ(absolute_path("/a//b///"), "/a/b");
  EXPECT_EQ(absolute_path("/"), "/");
  EXPECT_EQ(absolute_path("//"), "/");
  EXPECT_EQ(absolute_path("/.."), "/");
}

TEST(AbsolutePath, RelativeToTheCurrentFolder) {
  const std::string cwd = std::filesystem::current_path().lexically_normal().string();
  EXPECT_EQ(absolute_path("rel"), (cwd == "/" ? "" : cwd) + "/rel");
  EXPECT_EQ(absolute_path("rel/"), absolute_path("rel"));
  EXPECT_EQ(absolute_path("./rel/x/.."), absolute_path("rel"));
  EXPECT_EQ(absolute_path("."), cwd);
}

TEST(PathIsUnder, AFolderAndWhatIsInsideIt) {
  EXPECT_TRUE(path_is_under("/a/b", "/a/b"));
  EXPECT_TRUE(path_is_under("/a/b/c.jpg", "/a/b"));
  EXPECT_TRUE(path_is_under("/a/b/c.jpg", "/"));
  EXPECT_FALSE(path_is_under("/a/bc", "/a/b"));
  EXPECT_FALSE(path_is_under("/a", "/a/b"));
  EXPECT_FALSE(path_is_under("/a", ""));
}

}  // namespace
}  // namespace clipsearch
