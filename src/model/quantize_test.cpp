// quantize_model's folders from every kind of source (sharded, F16, open_clip), and broken
// quantized folders: each problem a returned error naming the file and the tensor.
#include <gtest/gtest.h>

#include <unistd.h>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "clipsearch/model.h"
#include "core/npy.h"
#include "model/safetensors.h"
#include "model/safetensors_writer.h"
#include "testing/test_util.h"

namespace clipsearch {
namespace {

namespace fs = std::filesystem;

std::string fixture(const std::string& name) {
  return testing::reference_dir() + "/clip_models/" + name;
}

// The model's embeddings of the fixture's pixels and token ids, unnormalized.
std::vector<float> embeddings(const std::string& dir, const std::string& inputs,
                              Precision precision) {
  ModelOptions options;
  options.precision = precision;
  auto model = Model::load(dir, options);
  EXPECT_TRUE(model.ok()) << model.status().message();
  if (!model.ok()) return {};
  auto pixels = npy_read(inputs + "/pixels.npy");
  EXPECT_TRUE(pixels.ok());
  std::ifstream in(inputs + "/token_ids.json");
  const auto texts = nlohmann::json::parse(in).get<std::vector<std::vector<int32_t>>>();
  const int64_t dim = (*model)->info().embed_dim;
  std::vector<float> out(
      static_cast<size_t>((pixels->shape[0] + static_cast<int64_t>(texts.size())) * dim));
  EXPECT_TRUE(
      (*model)->encode_images(pixels->data.data(), pixels->shape[0], out.data(), false).ok());
  EXPECT_TRUE((*model)->encode_texts(texts, out.data() + pixels->shape[0] * dim, false).ok());
  return out;
}

TEST(Quantize, EverySourceKindEmbedsAsLoadTimeConversion) {
  for (const char* name : {"tiny_quick_gelu_sharded", "tiny_quick_gelu_f16", "tiny_quick_gelu_bf16",
                           "open_clip_small", "small_gelu_eps"}) {
    for (Precision p : {Precision::kInt8, Precision::kFloat16, Precision::kBFloat16}) {
      SCOPED_TRACE(std::string(name) + " " + precision_name(p));
      testing::TempDir tmp;
      const std::string out = tmp.file("q");
      auto report = quantize_model(fixture(name), p, out);
      ASSERT_TRUE(report.ok()) << report.status().message();
      EXPECT_TRUE(fs::exists(report->weights_file));
      EXPECT_GT(report->reduced_tensors, 0);
      EXPECT_FALSE(fs::exists(fs::path(out).string() + ".partial-" + std::to_string(::getpid())));
      EXPECT_EQ(embeddings(out, fixture(name), Precision::kFloat32),
                embeddings(fixture(name), fixture(name), p));
    }
  }
}

TEST(Quantize, RefusesWhatItCannotDo) {
  testing::TempDir tmp;
  auto f32 = quantize_model(fixture("tiny_quick_gelu"), Precision::kFloat32, tmp.file("a"));
  ASSERT_FALSE(f32.ok());
  EXPECT_EQ(f32.status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(fs::exists(tmp.file("a")));

  testing::write_file(tmp.file("keep.txt"), "x");
  auto exists = quantize_model(fixture("tiny_quick_gelu"), Precision::kInt8, tmp.path().string());
  ASSERT_FALSE(exists.ok());
  EXPECT_NE(exists.status().message().find("already exists"), std::string::npos);
  EXPECT_TRUE(fs::exists(tmp.file("keep.txt")));

  fs::create_directory(tmp.file("empty"));  // an empty folder may be the output
  ASSERT_TRUE(quantize_model(fixture("tiny_quick_gelu"), Precision::kInt8, tmp.file("empty")).ok());
  auto twice = quantize_model(tmp.file("empty"), Precision::kFloat16, tmp.file("b"));
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(twice.status().message().find("already quantized to int8"), std::string::npos)
      << twice.status().message();

  auto slash = quantize_model(fixture("tiny_quick_gelu"), Precision::kBFloat16, tmp.file("d/"));
  ASSERT_TRUE(slash.ok()) << slash.status().message();
  EXPECT_TRUE(fs::exists(tmp.file("d/model.safetensors")));
  EXPECT_EQ(
      std::distance(fs::directory_iterator(tmp.file("d")), fs::directory_iterator()),
      std::distance(fs::directory_iterator(fixture("tiny_quick_gelu")), fs::directory_iterator()));

  auto missing = quantize_model(tmp.file("nothing"), Precision::kInt8, tmp.file("c"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
}

// A quantized int8 copy of the tiny model, whose weights a test then breaks.
class BrokenQuantized : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = tmp_.file("q");
    ASSERT_TRUE(quantize_model(fixture("tiny_quick_gelu"), Precision::kInt8, dir_).ok());
    bytes_ = testing::read_file(weights());
    std::map<std::string, std::string> metadata;
    auto parsed = SafetensorsFile::parse(reinterpret_cast<const uint8_t*>(bytes_.data()),
                                         bytes_.size(), "source", &metadata);
    ASSERT_TRUE(parsed.ok());
    tensors_ = *parsed;
    metadata_ = metadata;
  }

  std::string weights() const { return dir_ + "/model.safetensors"; }

  // Writes the tensors (as edited) and the metadata back, then loads: the error.
  Status load_failure() {
    std::vector<TensorToWrite> out;
    for (const auto& [name, view] : tensors_) {
      out.push_back({name, view.dtype, view.shape, view.data, view.nbytes});
    }
    EXPECT_TRUE(write_safetensors(weights(), out, metadata_).ok());
    auto model = Model::load(dir_);
    EXPECT_FALSE(model.ok());
    return model.ok() ? Status::error("loaded") : model.status();
  }

  static void expect_names(const Status& st, const std::vector<std::string>& parts) {
    for (const std::string& part : parts) {
      EXPECT_NE(st.message().find(part), std::string::npos) << st.message() << " lacks " << part;
    }
  }

  const std::string fc1 = "vision_model.encoder.layers.0.mlp.fc1.weight";
  testing::TempDir tmp_;
  std::string dir_, bytes_;
  std::map<std::string, TensorView> tensors_;
  std::map<std::string, std::string> metadata_;
};

TEST_F(BrokenQuantized, MissingScale) {
  tensors_.erase(fc1 + "_scale");
  Status st = load_failure();
  EXPECT_EQ(st.code(), StatusCode::kCorruption);
  expect_names(st, {weights(), fc1, fc1 + "_scale", "missing"});
}

TEST_F(BrokenQuantized, ScaleOfTheWrongShape) {
  tensors_[fc1 + "_scale"].shape = {tensors_[fc1 + "_scale"].shape[0] / 2};
  tensors_[fc1 + "_scale"].nbytes /= 2;
  Status st = load_failure();
  expect_names(st, {weights(), fc1 + "_scale", "has shape"});
}

TEST_F(BrokenQuantized, WeightOfTheWrongShape) {
  std::vector<int64_t>& shape = tensors_[fc1].shape;
  std::swap(shape[0], shape[1]);
  Status st = load_failure();
  EXPECT_EQ(st.code(), StatusCode::kCorruption);
  expect_names(st, {weights(), fc1, "has shape"});
}

TEST_F(BrokenQuantized, NegativeOrNotFiniteScale) {
  for (float bad : {-1.0f, std::nanf(""), INFINITY}) {
    std::vector<float> scales(static_cast<size_t>(tensors_[fc1 + "_scale"].shape[0]), 0.01f);
    scales[3] = bad;
    tensors_[fc1 + "_scale"].data = reinterpret_cast<const uint8_t*>(scales.data());
    Status st = load_failure();
    EXPECT_EQ(st.code(), StatusCode::kCorruption);
    expect_names(st, {weights(), fc1 + "_scale", "at 3"});
  }
}

TEST_F(BrokenQuantized, UnknownPrecisionInTheMetadata) {
  metadata_["clipsearch.precision"] = "int4";
  Status st = load_failure();
  EXPECT_EQ(st.code(), StatusCode::kCorruption);
  expect_names(st, {weights(), "int4"});
}

TEST_F(BrokenQuantized, Int8WithoutTheMetadata) {
  metadata_.erase("clipsearch.precision");
  Status st = load_failure();
  EXPECT_EQ(st.code(), StatusCode::kUnsupported);
  expect_names(st, {weights(), "is int8"});
}

TEST_F(BrokenQuantized, UnknownDType) {
  // The header names a dtype no reader knows: a clear error naming file and tensor.
  const std::string header = R"({"__metadata__": {"clipsearch.precision": "int8"}, ")" + fc1 +
                             R"(": {"dtype": "I4", "shape": [2], "data_offsets": [0, 2]}})";
  testing::write_file(weights(), testing::safetensors_with_header(header, "ab"));
  auto model = Model::load(dir_);
  ASSERT_FALSE(model.ok());
  expect_names(model.status(), {weights(), fc1, "unknown dtype 'I4'"});
}

TEST_F(BrokenQuantized, Truncated) {
  fs::resize_file(weights(), fs::file_size(weights()) - 100);
  auto model = Model::load(dir_);
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), StatusCode::kCorruption);
  expect_names(model.status(), {weights()});
}

TEST(SafetensorsWriter, OrdersForAlignmentAndKeepsMetadata) {
  testing::TempDir tmp;
  const int8_t bytes[3] = {1, -2, 3};
  const uint16_t halves[2] = {0x3c00, 0xc000};
  const float floats[2] = {1.5f, -2.0f};
  ASSERT_TRUE(write_safetensors(tmp.file("t.safetensors"),
                                {{"a", DType::kI8, {3}, bytes, 3},
                                 {"b", DType::kF16, {2}, halves, 4},
                                 {"c", DType::kF32, {2}, floats, 8}},
                                {{"k", "v"}})
                  .ok());
  auto file = SafetensorsFile::open(tmp.file("t.safetensors"));
  ASSERT_TRUE(file.ok()) << file.status().message();
  EXPECT_EQ(file->metadata().at("k"), "v");
  for (const auto& [name, view] : file->tensors()) {
    EXPECT_EQ(reinterpret_cast<uintptr_t>(view.data) % dtype_size(view.dtype), 0u) << name;
  }
  EXPECT_EQ(std::memcmp(file->find("c")->data, floats, 8), 0);
  EXPECT_EQ(std::memcmp(file->find("b")->data, halves, 4), 0);
  EXPECT_EQ(std::memcmp(file->find("a")->data, bytes, 3), 0);
  auto bad = write_safetensors(tmp.file("u.safetensors"), {{"a", DType::kF32, {3}, floats, 8}}, {});
  EXPECT_FALSE(bad.ok());
  EXPECT_FALSE(fs::exists(tmp.file("u.safetensors")));
}

}  // namespace
}  // namespace clipsearch
