// The crawler: hidden files, excludes, symbolic links (loops, dangling, one name per file),
// images recognised by content, and every kind of bad root.
#include "indexer/crawler.h"

#include <gtest/gtest.h>
#include <linux/capability.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "testing/test_util.h"

namespace clipsearch {
namespace {

namespace fs = std::filesystem;

const std::string kPng = std::string("\x89PNG\r\n\x1A\n", 8) + "rest of a png";
const std::string kJpeg = "\xFF\xD8\xFF\xE0 rest of a jpeg";

std::vector<std::string> relative(const RootScan& scan) {
  std::vector<std::string> out;
  for (const auto& f : scan.files) out.push_back(f.path.substr(scan.root.size() + 1));
  return out;
}

void put(const fs::path& p, const std::string& bytes) {
  fs::create_directories(p.parent_path());
  testing::write_file(p.string(), bytes);
}

TEST(Crawler, SkipsHiddenAndExcludedAndSniffsContent) {
  testing::TempDir tmp;
  const fs::path root = tmp.path() / "lib";
  put(root / "a.png", kPng);
  put(root / "photo.txt", kJpeg);          // an image whatever its name
  put(root / "fake.jpg", "not an image");  // not an image whatever its name
  put(root / ".hidden.png", kPng);
  put(root / ".thumbs" / "t.png", kPng);
  put(root / "sub" / "b.png", kPng);
  put(root / "sub" / "b.tmp", kPng);
  put(root / "raw" / "c.png", kPng);
  put(root / "raw" / "deeper" / "d.png", kPng);
  put(root / "keep" / "raw" / "e.png", kPng);
  CrawlOptions options;
  options.excludes = {"*.tmp", "raw"};
  RootScan scan = crawl_root(root.string(), options);
  ASSERT_EQ(scan.state, RootState::kOk) << scan.message;
  EXPECT_EQ(relative(scan), (std::vector<std::string>{"a.png", "photo.txt", "sub/b.png"}));
  EXPECT_EQ(scan.skipped_hidden, 2);
  EXPECT_EQ(scan.skipped_not_image, 1);
  EXPECT_EQ(scan.skipped_excluded, 3);  // sub/b.tmp, raw, keep/raw (a name match)

  // A glob on the relative path excludes only that folder.
  options.excludes = {"raw/*"};
  scan = crawl_root(root.string(), options);
  EXPECT_EQ(relative(scan), (std::vector<std::string>{"a.png", "keep/raw/e.png", "photo.txt",
                                                      "sub/b.png", "sub/b.tmp"}));
  // Without sniffing every regular file is listed, with its size.
  options = {};
  options.sniff = false;
  scan = crawl_root(root.string(), options);
  EXPECT_EQ(scan.files.size(), 8u);
  EXPECT_EQ(scan.files[0].size, static_cast<int64_t>(kPng.size()));
  EXPECT_GT(scan.files[0].mtime_ns, 0);
}

TEST(Crawler, FollowsLinksSafely) {
  testing::TempDir tmp;
  const fs::path root = tmp.path() / "lib";
  put(root / "a" / "x.png", kPng);
  put(tmp.path() / "outside" / "y.png", kPng);
  fs::create_directory_symlink("..", root / "a" / "loop");           // back to the root
  fs::create_directory_symlink(root / "a", root / "b");              // second name of a folder
  fs::create_directory_symlink(tmp.path() / "outside", root / "o");  // out of the root
  fs::create_symlink(root / "a" / "x.png", root / "z-link.png");     // second name of a file
  fs::create_symlink(tmp.path() / "nothing", root / "dangling.png");
  RootScan scan = crawl_root(root.string(), {});
  ASSERT_EQ(scan.state, RootState::kOk);
  EXPECT_EQ(relative(scan), (std::vector<std::string>{"a/x.png", "o/y.png"}));
  EXPECT_GE(scan.skipped_links, 3);  // the loop, the dangling link, x.png's other names
}

TEST(Crawler, ARootThatIsAFile) {
  testing::TempDir tmp;
  put(tmp.path() / "one.png", kPng);
  RootScan scan = crawl_root(tmp.file("one.png"), {});
  ASSERT_EQ(scan.state, RootState::kOk);
  ASSERT_EQ(scan.files.size(), 1u);
  EXPECT_EQ(scan.files[0].path, tmp.file("one.png"));
}

TEST(Crawler, BadRootsSaySo) {
  testing::TempDir tmp;
  RootScan missing = crawl_root(tmp.file("not-mounted"), {});
  EXPECT_EQ(missing.state, RootState::kMissing);
  EXPECT_NE(missing.message.find("does not exist"), std::string::npos);

  fs::create_directory(tmp.path() / "empty");
  RootScan empty = crawl_root(tmp.file("empty"), {});
  EXPECT_EQ(empty.state, RootState::kEmpty);
  EXPECT_NE(empty.message.find("empty"), std::string::npos);

  // A path under a regular file: ENOTDIR, neither missing nor empty.
  put(tmp.path() / "file", "x");
  RootScan under_file = crawl_root(tmp.file("file") + "/photos", {});
  EXPECT_EQ(under_file.state, RootState::kUnreadable);
  EXPECT_NE(under_file.message.find("Not a directory"), std::string::npos) << under_file.message;

  RootScan device = crawl_root("/dev/null", {});
  EXPECT_EQ(device.state, RootState::kUnreadable);
}

// Drops the capabilities that let root read any folder, so chmod 000 means what it says.
bool drop_dac_capabilities() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (syscall(SYS_capget, &header, data) != 0) return false;
  for (int cap : {CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH}) {
    data[cap / 32].effective &= ~(1u << (cap % 32));
  }
  return syscall(SYS_capset, &header, data) == 0;
}

TEST(Crawler, UnreadableRootAndFolder) {
  testing::TempDir tmp;
  const fs::path root = tmp.path() / "lib";
  put(root / "a.png", kPng);
  put(root / "locked" / "b.png", kPng);
  put(tmp.path() / "locked-root" / "c.png", kPng);
  fs::permissions(root / "locked", fs::perms::none);
  fs::permissions(tmp.path() / "locked-root", fs::perms::none);
  // In a child, so dropping capabilities does not affect the other tests.
  const pid_t pid = fork();
  if (pid == 0) {
    if (geteuid() == 0 && !drop_dac_capabilities()) _exit(10);
    RootScan scan = crawl_root(root.string(), {});
    if (scan.state != RootState::kOk) _exit(11);
    if (scan.files.size() != 1 || scan.unreadable_dirs.size() != 1) _exit(12);
    if (scan.unreadable_dirs[0] != (root / "locked").string()) _exit(13);
    RootScan locked = crawl_root((tmp.path() / "locked-root").string(), {});
    if (locked.state != RootState::kUnreadable) _exit(14);
    if (locked.message.find("Permission denied") == std::string::npos) _exit(15);
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  fs::permissions(root / "locked", fs::perms::owner_all);
  fs::permissions(tmp.path() / "locked-root", fs::perms::owner_all);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "see the _exit codes in the child";
}

TEST(Crawler, Excludes) {
  EXPECT_TRUE(path_excluded({"*.tmp"}, "a/b/c.tmp"));
  EXPECT_TRUE(path_excluded({"a/b/*"}, "a/b/c.png"));
  EXPECT_FALSE(path_excluded({"a/*"}, "a/b/c.png"));  // FNM_PATHNAME: * stops at '/'
  EXPECT_TRUE(path_excluded({"a/*"}, "a/b"));         // ...but the folder a/b is pruned
  EXPECT_FALSE(path_excluded({}, "x"));
}

}  // namespace
}  // namespace clipsearch
