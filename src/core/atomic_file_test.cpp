#include "core/atomic_file.h"

#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <string>

#include "core/crc32c.h"
#include "testing/test_util.h"

namespace clipsearch {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

TEST(Crc32c, KnownValues) {
  // RFC 3720 (iSCSI) check value and test vectors.
  EXPECT_EQ(crc32c("123456789", 9), 0xE3069283u);
  const std::string zeros(32, '\0');
  EXPECT_EQ(crc32c(zeros.data(), zeros.size()), 0x8A9136AAu);
  // Extending piece by piece gives the value of the whole.
  const std::string text = "The quick brown fox jumps over the lazy dog, twice or more.";
  uint32_t c = 0;
  for (size_t i = 0; i < text.size(); i += 7) {
    c = crc32c_extend(c, text.data() + i, std::min<size_t>(7, text.size() - i));
  }
  EXPECT_EQ(c, crc32c(text.data(), text.size()));
}

Status write_whole(const std::string& path, const std::string& bytes) {
  CLIPSEARCH_ASSIGN_OR_RETURN(AtomicFile file, AtomicFile::create(path));
  CLIPSEARCH_RETURN_IF_ERROR(file.append(bytes.data(), bytes.size()));
  return file.commit();
}

int files_in(const fs::path& dir) {
  int n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++n;
  return n;
}

TEST(AtomicFile, WritesAndReplaces) {
  TempDir dir;
  const std::string path = dir.file("a.bin");
  ASSERT_TRUE(write_whole(path, "first").ok());
  EXPECT_EQ(testing::read_file(path), "first");
  ASSERT_TRUE(write_whole(path, "second, longer").ok());
  EXPECT_EQ(testing::read_file(path), "second, longer");
  EXPECT_EQ(files_in(dir.path()), 1);  // no temporary file left
}

TEST(AtomicFile, WriteAtRewritesAHeader) {
  TempDir dir;
  const std::string path = dir.file("h.bin");
  auto file = AtomicFile::create(path);
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE(file->append("xxxxbody", 8).ok());
  ASSERT_TRUE(file->pad_to(16).ok());
  EXPECT_EQ(file->size(), 16u);
  ASSERT_TRUE(file->write_at(0, "HEAD", 4).ok());
  ASSERT_TRUE(file->commit().ok());
  EXPECT_EQ(testing::read_file(path), std::string("HEADbody") + std::string(8, '\0'));
}

TEST(AtomicFile, EveryFailingStepLeavesTheOldFileAndNoTemporary) {
  for (const char* step : {"open", "write", "fsync", "rename"}) {
    TempDir dir;
    const std::string path = dir.file("a.bin");
    ASSERT_TRUE(write_whole(path, "old contents").ok());
    set_atomic_file_fault_hook([&](const std::string& s, const std::string&) {
      return s == step ? Status::io_error("injected failure") : Status();
    });
    Status st = write_whole(path, "new contents");
    set_atomic_file_fault_hook(nullptr);
    EXPECT_FALSE(st.ok()) << step;
    EXPECT_EQ(st.code(), StatusCode::kIoError) << step;  // the hook's code, not rewrapped
    EXPECT_NE(st.message().find("injected failure"), std::string::npos) << st.message();
    EXPECT_EQ(testing::read_file(path), "old contents") << step;
    EXPECT_EQ(files_in(dir.path()), 1) << step;
  }
}

TEST(AtomicFile, AbandonedWriterRemovesItsTemporary) {
  TempDir dir;
  {
    auto file = AtomicFile::create(dir.file("a.bin"));
    ASSERT_TRUE(file.ok());
    ASSERT_TRUE(file->append("partial", 7).ok());
  }
  EXPECT_EQ(files_in(dir.path()), 0);
}

// A real write error from the kernel: RLIMIT_FSIZE makes write() past the limit fail with
// EFBIG (SIGXFSZ ignored), the same path as ENOSPC on a full disk.
TEST(AtomicFile, FileSizeLimitIsAClearErrorAndKeepsTheOldFile) {
  TempDir dir;
  const std::string path = dir.file("a.bin");
  ASSERT_TRUE(write_whole(path, "old contents").ok());
  struct rlimit old_limit {};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old_limit), 0);
  auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = old_limit;
  small.rlim_cur = 4096;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
  Status st = write_whole(path, std::string(100000, 'x'));
  setrlimit(RLIMIT_FSIZE, &old_limit);
  std::signal(SIGXFSZ, old_handler);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kIoError) << st.message();
  EXPECT_NE(st.message().find("cannot write"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find(path), std::string::npos) << st.message();
  EXPECT_EQ(testing::read_file(path), "old contents");
  EXPECT_EQ(files_in(dir.path()), 1);
}

// A genuinely full file system: a 1 MiB tmpfs (needs root; skipped otherwise).
TEST(AtomicFile, FullDiskIsAClearErrorAndKeepsTheOldFile) {
  TempDir dir;
  const std::string mnt = dir.file("small");
  fs::create_directory(mnt);
  if (geteuid() != 0 || ::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=1m") != 0) {
    GTEST_SKIP() << "cannot mount a tmpfs (needs root)";
  }
  const std::string path = mnt + "/a.bin";
  Status first = write_whole(path, std::string(600000, 'o'));
  Status second = write_whole(path, std::string(600000, 'n'));  // old + new do not fit
  const std::string after = testing::read_file(path);
  const int files = files_in(mnt);
  ::umount(mnt.c_str());
  ASSERT_TRUE(first.ok()) << first.message();
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.code(), StatusCode::kIoError) << second.message();
  EXPECT_NE(second.message().find("No space left on device"), std::string::npos)
      << second.message();
  EXPECT_EQ(after, std::string(600000, 'o'));
  EXPECT_EQ(files, 1);
}

}  // namespace
}  // namespace clipsearch
