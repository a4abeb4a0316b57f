#include "model/safetensors.h"

#include <gtest/gtest.h>

#include <cstring>

#include "model/weight_store.h"
#include "testing/test_util.h"

namespace clipsearch {
namespace {

using testing::RawTensor;
using testing::safetensors_bytes;

std::string floats(std::initializer_list<float> values) {
  std::string bytes(values.size() * 4, '\0');
  size_t i = 0;
  for (float v : values) std::memcpy(&bytes[4 * i++], &v, 4);
  return bytes;
}

Result<std::map<std::string, TensorView>> parse(const std::string& bytes) {
  return SafetensorsFile::parse(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(),
                                "test.safetensors");
}

std::string with_header(const std::string& header, const std::string& data) {
  return testing::safetensors_with_header(header, data);
}

void expect_error(const std::string& bytes, const std::string& fragment) {
  auto r = parse(bytes);
  ASSERT_FALSE(r.ok()) << "expected an error containing: " << fragment;
  EXPECT_EQ(r.status().code(), StatusCode::kCorruption) << r.status().message();
  EXPECT_NE(r.status().message().find("test.safetensors"), std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find(fragment), std::string::npos) << r.status().message();
}

TEST(Safetensors, ParsesTensorsAndMetadata) {
  std::string bytes = safetensors_bytes(
      {{"a", {"F32", {2}, floats({1, 2})}}, {"b", {"F16", {1, 2}, std::string(4, '\0')}}});
  auto r = parse(bytes);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ(r->at("a").dtype, DType::kF32);
  EXPECT_EQ(r->at("a").shape, (std::vector<int64_t>{2}));
  EXPECT_EQ(r->at("b").dtype, DType::kF16);
  float second;
  std::memcpy(&second, r->at("a").data + 4, 4);
  EXPECT_EQ(second, 2.0f);
}

TEST(Safetensors, ScalarAndEmptyTensors) {
  std::string bytes =
      safetensors_bytes({{"scalar", {"F32", {}, floats({3})}}, {"empty", {"F32", {0, 4}, ""}}});
  auto r = parse(bytes);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->at("scalar").nbytes, 4u);
  EXPECT_EQ(r->at("empty").nbytes, 0u);
}

TEST(Safetensors, RejectsShortFile) { expect_error("abc", "shorter than"); }

TEST(Safetensors, RejectsHeaderLongerThanFile) {
  std::string bytes = safetensors_bytes({{"a", {"F32", {2}, floats({1, 2})}}});
  bytes[0] = static_cast<char>(0xff);
  bytes[1] = static_cast<char>(0xff);
  expect_error(bytes, "exceeds the file");
}

TEST(Safetensors, RejectsTruncatedData) {
  std::string bytes = safetensors_bytes({{"a", {"F32", {4}, floats({1, 2, 3, 4})}}});
  bytes.resize(bytes.size() - 5);
  expect_error(bytes, "outside the data section");
}

TEST(Safetensors, RejectsUnknownDtype) {
  expect_error(safetensors_bytes({{"a", {"F128", {1}, std::string(16, '\0')}}}),
               "unknown dtype 'F128'");
}

TEST(Safetensors, RejectsShapeNotMatchingByteSpan) {
  expect_error(safetensors_bytes({{"a", {"F32", {3}, floats({1, 2})}}}), "needs 12 bytes");
}

TEST(Safetensors, RejectsOverlappingTensors) {
  std::string header = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                       R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})";
  expect_error(with_header(header, std::string(12, '\0')), "overlap");
}

TEST(Safetensors, RejectsMalformedHeaders) {
  expect_error(with_header("not json", ""), "not a JSON object");
  expect_error(with_header("[1, 2]", ""), "not a JSON object");
  expect_error(with_header(R"({"a": 5})", ""), "not an object");
  expect_error(with_header(R"({"a":{"shape":[1],"data_offsets":[0,4]}})", "0000"), "no dtype");
  expect_error(with_header(R"({"a":{"dtype":"F32","data_offsets":[0,4]}})", "0000"), "no shape");
  expect_error(with_header(R"({"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", "0000"),
               "negative");
  expect_error(with_header(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}})", "0000"),
               "outside");
  expect_error(with_header(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}})", "0000"),
               "data_offsets");
  expect_error(with_header(std::string(1000, '[') + std::string(1000, ']'), ""), "deeply");
}

TEST(Safetensors, RejectsHugeShapes) {
  expect_error(
      with_header(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}})",
                  "0000"),
      "too large");
}

TEST(WeightStore, ConvertsHalfPrecisionAndChecksShapes) {
  testing::TempDir dir;
  // 1.0 and -2.0 in F16 (0x3c00, 0xc000) and BF16 (0x3f80, 0xc000).
  std::string f16 = {0x00, 0x3c, 0x00, static_cast<char>(0xc0)};
  std::string bf16 = {static_cast<char>(0x80), 0x3f, 0x00, static_cast<char>(0xc0)};
  testing::write_file(dir.file("w.safetensors"),
                      safetensors_bytes({{"h", {"F16", {2}, f16}},
                                         {"b", {"BF16", {2}, bf16}},
                                         {"i", {"I64", {1}, std::string(8, '\0')}}}));
  auto store = WeightStore::open(dir.file("w.safetensors"));
  ASSERT_TRUE(store.ok()) << store.status().message();
  auto h = (*store)->f32("h", {2});
  ASSERT_TRUE(h.ok());
  EXPECT_EQ((*h)[0], 1.0f);
  EXPECT_EQ((*h)[1], -2.0f);
  auto b = (*store)->f32("b", {2});
  ASSERT_TRUE(b.ok());
  EXPECT_EQ((*b)[0], 1.0f);
  EXPECT_EQ((*b)[1], -2.0f);
  auto wrong = (*store)->f32("h", {3});
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("tensor h has shape [2], config says [3]"),
            std::string::npos)
      << wrong.status().message();
  auto integer = (*store)->f32("i", {1});
  ASSERT_FALSE(integer.ok());
  EXPECT_NE(integer.status().message().find("dtype I64"), std::string::npos);
  auto missing = (*store)->f32("nope", {1});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("tensor nope is missing"), std::string::npos);
}

// release(): a float32 copy made for a half tensor (made once, however often it is asked for) is
// freed; a tensor used in place (its pages
// leave resident memory) and an unknown pointer are accepted.
TEST(WeightStore, ReleaseFreesCopiesAndAcceptsMappedTensors) {
  testing::TempDir dir;
  std::string f16 = {0x00, 0x3c, 0x00, static_cast<char>(0xc0)};
  std::string f32(8, '\0');
  testing::write_file(dir.file("w.safetensors"),
                      safetensors_bytes({{"h", {"F16", {2}, f16}}, {"f", {"F32", {2}, f32}}}));
  auto store = WeightStore::open(dir.file("w.safetensors"));
  ASSERT_TRUE(store.ok()) << store.status().message();
  auto h = (*store)->f32("h", {2});
  auto f = (*store)->f32("f", {2});
  ASSERT_TRUE(h.ok() && f.ok());
  EXPECT_EQ((*store)->converted_bytes(), 8u);
  auto h_twice = (*store)->f32("h", {2});  // the same copy, not a second one
  ASSERT_TRUE(h_twice.ok());
  EXPECT_EQ(*h_twice, *h);
  EXPECT_EQ((*store)->converted_bytes(), 8u);
  (*store)->release(*h);
  EXPECT_EQ((*store)->converted_bytes(), 0u);
  (*store)->release(*f);
  (*store)->release(*h);  // twice: ignored
  float other = 0;
  (*store)->release(&other);
  auto again = (*store)->f32("h", {2});  // a new copy on demand
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((**again), 1.0f);
}

TEST(WeightStore, ShardedIndex) {
  testing::TempDir dir;
  testing::write_file(dir.file("a.safetensors"),
                      safetensors_bytes({{"x", {"F32", {1}, floats({5})}}}));
  testing::write_file(dir.file("b.safetensors"),
                      safetensors_bytes({{"y", {"F32", {1}, floats({7})}}}));
  testing::write_file(
      dir.file("model.safetensors.index.json"),
      R"({"metadata": {}, "weight_map": {"x": "a.safetensors", "y": "b.safetensors"}})");
  auto store = WeightStore::open(dir.file("model.safetensors.index.json"));
  ASSERT_TRUE(store.ok()) << store.status().message();
  EXPECT_EQ(*(*store)->f32("y", {1}).value(), 7.0f);
  EXPECT_EQ(*(*store)->f32("x", {1}).value(), 5.0f);
}

TEST(WeightStore, ShardedIndexErrors) {
  testing::TempDir dir;
  testing::write_file(dir.file("i.index.json"), R"({"weight_map": {"x": "../evil.safetensors"}})");
  auto r = WeightStore::open(dir.file("i.index.json"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("same folder"), std::string::npos);
  testing::write_file(dir.file("j.index.json"), R"({"weight_map": {"x": "missing.safetensors"}})");
  r = WeightStore::open(dir.file("j.index.json"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("missing.safetensors"), std::string::npos);
  testing::write_file(dir.file("k.index.json"), "{");
  EXPECT_FALSE(WeightStore::open(dir.file("k.index.json")).ok());
}

}  // namespace
}  // namespace clipsearch
