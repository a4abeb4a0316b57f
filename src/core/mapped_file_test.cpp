#include "core/mapped_file.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace clipsearch {
namespace {

TEST(MappedFile, MapsContents) {
  auto path = (std::filesystem::temp_directory_path() / "clipsearch_map_test.bin").string();
  {
    std::ofstream out(path, std::ios::binary);
    out << "hello";
  }
  auto file = MappedFile::open(path);
  ASSERT_TRUE(file.ok()) << file.status().message();
  ASSERT_EQ(file->size(), 5u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(file->data()), 5), "hello");
  std::remove(path.c_str());
}

TEST(MappedFile, MissingFileIsAnErrorNamingThePath) {
  auto file = MappedFile::open("/no/such/file.safetensors");
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.status().code(), StatusCode::kNotFound) << file.status().message();
  EXPECT_NE(file.status().message().find("/no/such/file.safetensors"), std::string::npos);
}

TEST(MappedFile, DirectoryIsRefused) {
  auto file = MappedFile::open(std::filesystem::temp_directory_path().string());
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.status().code(), StatusCode::kInvalidArgument) << file.status().message();
}

}  // namespace
}  // namespace clipsearch
