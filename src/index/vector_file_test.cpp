#include "index/vector_file.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <numeric>

#include "core/atomic_file.h"
#include "index/exact_index.h"
#include "testing/test_util.h"
#include "testing/test_vectors.h"

namespace clipsearch {
namespace {

using testing::TempDir;

struct Rows {
  std::vector<int64_t> ids;
  std::vector<float> vectors;
  int64_t dim;
  VectorView view() const {
    return {ids.data(), vectors.data(), static_cast<int64_t>(ids.size()), dim};
  }
};

Rows make_rows(int64_t n, int64_t dim) {
  Rows rows{std::vector<int64_t>(static_cast<size_t>(n)), testing::random_unit_vectors(n, dim, 7),
            dim};
  std::iota(rows.ids.begin(), rows.ids.end(), 1000);
  return rows;
}

const VectorFileInfo kInfo{"openai/clip-vit-base-patch32", 42};

TEST(VectorFile, RoundTrip) {
  TempDir dir;
  const std::string path = dir.file("vectors.bin");
  for (int64_t n : {0, 1, 3, 2500}) {
    const Rows rows = make_rows(n, 77);
    ASSERT_TRUE(write_vector_file(path, kInfo, rows.view()).ok());
    auto file = VectorFile::open(path, kInfo, 77);
    ASSERT_TRUE(file.ok()) << file.status().message();
    const VectorView& v = file->view();
    ASSERT_EQ(v.count, n);
    ASSERT_EQ(v.dim, 77);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(v.vectors) % 64, 0u);
    EXPECT_TRUE(std::equal(rows.ids.begin(), rows.ids.end(), v.ids));
    EXPECT_TRUE(std::equal(rows.vectors.begin(), rows.vectors.end(), v.vectors));
    EXPECT_EQ(file->info().model_id, kInfo.model_id);
    EXPECT_EQ(file->info().generation, 42u);
  }
  // Searching the mapped rows gives what searching the rows in memory gives.
  const Rows rows = make_rows(3000, 512);
  ASSERT_TRUE(write_vector_file(path, kInfo, rows.view()).ok());
  auto file = VectorFile::open(path, kInfo);
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(exact_search(file->view(), rows.vectors.data() + 512, SearchOptions{}),
            exact_search(rows.view(), rows.vectors.data() + 512, SearchOptions{}));
}

void expect_refused(const std::string& path, const std::string& words,
                    const VectorFileInfo& expected = kInfo, int64_t dim = 0,
                    StatusCode code = StatusCode::kCorruption) {
  auto file = VectorFile::open(path, expected, dim);
  ASSERT_FALSE(file.ok()) << "opened a bad file; wanted: " << words;
  EXPECT_EQ(file.status().code(), code) << file.status().message();
  EXPECT_NE(file.status().message().find(words), std::string::npos) << file.status().message();
  EXPECT_NE(file.status().message().find(path), std::string::npos) << file.status().message();
}

TEST(VectorFile, MismatchesAreRefusedWithTheReason) {
  TempDir dir;
  const std::string path = dir.file("vectors.bin");
  const Rows rows = make_rows(100, 64);
  ASSERT_TRUE(write_vector_file(path, kInfo, rows.view()).ok());
  expect_refused(path, "generation 42, expected 43", {kInfo.model_id, 43});
  expect_refused(path, "model 'openai/clip-vit-base-patch32', expected 'other'", {"other", 42});
  expect_refused(path, "dim 64, expected 512", kInfo, 512);
  expect_refused(dir.file("missing.bin"), "cannot open", kInfo, 0, StatusCode::kNotFound);
}

TEST(VectorFile, DamagedFilesAreRefused) {
  TempDir dir;
  const std::string good = dir.file("good.bin"), bad = dir.file("bad.bin");
  const Rows rows = make_rows(700, 96);
  ASSERT_TRUE(write_vector_file(good, kInfo, rows.view()).ok());
  const std::string bytes = testing::read_file(good);

  // Truncated anywhere (and extended).
  for (size_t size :
       {size_t{0}, size_t{10}, size_t{255}, size_t{256}, size_t{4000}, bytes.size() - 1}) {
    testing::write_file(bad, bytes.substr(0, size));
    expect_refused(bad, size < 256 ? "truncated" : "truncated or extended");
  }
  testing::write_file(bad, bytes + "x");
  expect_refused(bad, "truncated or extended");

  // One flipped bit in the header's checksummed fields, the ids, the vectors.
  for (size_t at : {size_t{200}, size_t{256 + 8 * 5}, size_t{6000}, bytes.size() - 3}) {
    std::string flipped = bytes;
    flipped[at] ^= 0x10;
    testing::write_file(bad, flipped);
    expect_refused(bad, "checksum mismatch");
  }
  // Header fields that do not fit together.
  std::string b = bytes;
  b[0] = 'X';
  testing::write_file(bad, b);
  expect_refused(bad, "bad magic");
  b = bytes;
  b[8] = 9;  // version
  testing::write_file(bad, b);
  expect_refused(bad, "format version 9", kInfo, 0, StatusCode::kUnsupported);
  b = bytes;
  b[12] = 95;  // dim 96 -> 95: the size no longer matches
  testing::write_file(bad, b);
  expect_refused(bad, "corrupt header");
  b = bytes;
  b[23] = 0x7f;  // count enormous: rejected before any size arithmetic
  testing::write_file(bad, b);
  expect_refused(bad, "corrupt header");
}

TEST(VectorFile, FailedWriteKeepsTheOldFile) {
  TempDir dir;
  const std::string path = dir.file("vectors.bin");
  const Rows old_rows = make_rows(50, 32);
  ASSERT_TRUE(write_vector_file(path, kInfo, old_rows.view()).ok());
  const std::string before = testing::read_file(path);
  const Rows new_rows = make_rows(5000, 32);
  for (const char* step : {"open", "write", "fsync", "rename"}) {
    set_atomic_file_fault_hook([&](const std::string& s, const std::string&) {
      return s == step ? Status::io_error("No space left on device") : Status();
    });
    Status st = write_vector_file(path, {kInfo.model_id, 43}, new_rows.view());
    set_atomic_file_fault_hook(nullptr);
    EXPECT_FALSE(st.ok());
    EXPECT_EQ(st.code(), StatusCode::kIoError) << step;
    EXPECT_NE(st.message().find("No space left on device"), std::string::npos);
    EXPECT_EQ(testing::read_file(path), before) << step;
    EXPECT_TRUE(VectorFile::open(path, kInfo).ok());
  }
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()),
                          std::filesystem::directory_iterator()),
            1);
}

TEST(VectorFile, WriterRefusesBadInput) {
  TempDir dir;
  const Rows rows = make_rows(3, 8);
  EXPECT_EQ(write_vector_file(dir.file("a"), {std::string(200, 'm'), 1}, rows.view()).code(),
            StatusCode::kInvalidArgument);
  VectorView zero_dim = rows.view();
  zero_dim.dim = 0;
  EXPECT_EQ(write_vector_file(dir.file("a"), kInfo, zero_dim).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace clipsearch
