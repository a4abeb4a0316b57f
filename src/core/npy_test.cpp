#include "core/npy.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace clipsearch {
namespace {

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("clipsearch_npy_" + name)).string();
}

TEST(Npy, RoundTrip) {
  std::vector<float> values = {1.5f, -2.0f, 3.25f, 0.0f, 1e-7f, 42.0f};
  std::string path = temp_path("roundtrip.npy");
  ASSERT_TRUE(npy_write(path, {2, 3}, values.data()).ok());
  auto read = npy_read(path);
  ASSERT_TRUE(read.ok()) << read.status().message();
  EXPECT_EQ(read->shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(read->data, values);
  std::remove(path.c_str());
}

TEST(Npy, OneDimensionalShape) {
  std::vector<float> values = {1, 2, 3};
  std::string path = temp_path("1d.npy");
  ASSERT_TRUE(npy_write(path, {3}, values.data()).ok());
  auto read = npy_read(path);
  ASSERT_TRUE(read.ok()) << read.status().message();
  EXPECT_EQ(read->shape, (std::vector<int64_t>{3}));
  std::remove(path.c_str());
}

std::string make_npy(const std::string& header_dict, size_t data_bytes) {
  std::string header = header_dict;
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header.push_back('\n');
  std::string bytes = std::string("\x93NUMPY\x01\x00", 8);
  bytes.push_back(static_cast<char>(header.size() & 0xff));
  bytes.push_back(static_cast<char>(header.size() >> 8));
  return bytes + header + std::string(data_bytes, '\0');
}

TEST(Npy, RejectsWrongDtype) {
  std::string bytes = make_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", 16);
  auto r = npy_parse(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "x.npy");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnsupported) << r.status().message();
  EXPECT_NE(r.status().message().find("x.npy"), std::string::npos);
  EXPECT_NE(r.status().message().find("<f8"), std::string::npos);
}

TEST(Npy, RejectsFortranOrder) {
  std::string bytes = make_npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", 8);
  auto r = npy_parse(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "x.npy");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnsupported) << r.status().message();
}

TEST(Npy, RejectsTruncatedData) {
  std::string bytes = make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", 12);
  auto r = npy_parse(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "x.npy");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCorruption) << r.status().message();
  EXPECT_NE(r.status().message().find("12 bytes"), std::string::npos);
}

TEST(Npy, RejectsGarbage) {
  std::string bytes = "not numpy at all";
  auto r = npy_parse(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "x.npy");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCorruption) << r.status().message();
}

TEST(Npy, MissingFileNamesThePath) {
  auto r = npy_read("/nonexistent/dir/pixels.npy");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound) << r.status().message();
  EXPECT_NE(r.status().message().find("/nonexistent/dir/pixels.npy"), std::string::npos);
}

}  // namespace
}  // namespace clipsearch
