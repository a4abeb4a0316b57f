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
  struct Case {
    const char* path;
    const char* folder;
    bool under;
  };
  for (const Case& c :
       {Case{"/a/b", "/a/b", true}, Case{"/a/b/c.jpg", "/a/b", true}, Case{"/a/b/c.jpg", "/", true},
        Case{"/a/bc", "/a/b", false}, Case{"/a", "/a/b", false}, Case{"/a", "", false}}) {
    EXPECT_EQ(path_is_under(c.path, c.folder), c.under) << c.path << " under " << c.folder;
  }
}

}  // namespace
}  // namespace clipsearch
