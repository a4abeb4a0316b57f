// Broken model folders and bad inputs: every one is a returned error that names the file, the
// tensor and what was expected; none crashes. Built from the reference fixture's tiny model.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <map>

#include "clipsearch/model.h"
#include "model/safetensors.h"
#include "testing/test_util.h"

namespace clipsearch {
namespace {

namespace fs = std::filesystem;

class ModelErrors : public ::testing::Test {
 protected:
  void SetUp() override { copy_model("tiny_quick_gelu", "config.json", "model.safetensors"); }

  void copy_model(const std::string& name, const std::string& config, const std::string& weights) {
    source_ = testing::reference_dir() + "/clip_models/" + name;
    weights_ = weights;
    ASSERT_TRUE(fs::exists(source_ + "/" + weights)) << "fixture missing: " << source_;
    fs::copy_file(source_ + "/" + config, dir_.file(config));
    fs::copy_file(source_ + "/" + weights, dir_.file(weights));
  }

  // Rewrites the weights file through `edit`, which may change or drop tensors.
  template <class Edit>
  void rewrite_weights(Edit edit) {
    std::string bytes = testing::read_file(source_ + "/" + weights_);
    auto parsed = SafetensorsFile::parse(reinterpret_cast<const uint8_t*>(bytes.data()),
                                         bytes.size(), "source");
    ASSERT_TRUE(parsed.ok());
    std::map<std::string, testing::RawTensor> tensors;
    for (const auto& [name, view] : *parsed) {
      tensors[name] = {dtype_name(view.dtype), view.shape,
                       std::string(reinterpret_cast<const char*>(view.data), view.nbytes)};
    }
    edit(tensors);
    testing::write_file(dir_.file(weights_), testing::safetensors_bytes(tensors));
  }

  Status load_failure() {
    auto model = Model::load(dir_.path().string());
    EXPECT_FALSE(model.ok());
    return model.ok() ? Status::error("loaded") : model.status();
  }

  std::string source_, weights_;
  testing::TempDir dir_;
};

// The same broken folders from the small open_clip ModifiedResNet.
class ResNetErrors : public ModelErrors {
 protected:
  void SetUp() override {
    copy_model("open_clip_resnet_small", "open_clip_config.json", "open_clip_model.safetensors");
  }
};

TEST_F(ResNetErrors, NegativeVarianceNamesTheTensor) {
  rewrite_weights([](std::map<std::string, testing::RawTensor>& t) {
    auto& var = t.at("visual.layer2.0.bn2.running_var").bytes;
    const float negative = -1.0f;
    std::memcpy(var.data() + 4, &negative, sizeof(float));  // the second channel
  });
  Status st = load_failure();
  EXPECT_EQ(st.code(), StatusCode::kCorruption) << st.message();
  EXPECT_NE(st.message().find("tensor visual.layer2.0.bn2.running_var holds -1.0"),
            std::string::npos)
      << st.message();
  EXPECT_NE(st.message().find("at 1"), std::string::npos) << st.message();
}

TEST_F(ResNetErrors, MissingOrMisshapenTensorsAreNamed) {
  rewrite_weights([](std::map<std::string, testing::RawTensor>& t) {
    t.erase("visual.layer3.0.downsample.1.running_mean");
  });
  Status st = load_failure();
  EXPECT_NE(st.message().find("visual.layer3.0.downsample.1.running_mean"), std::string::npos)
      << st.message();
  rewrite_weights([](std::map<std::string, testing::RawTensor>& t) {
    testing::RawTensor& pos = t.at("visual.attnpool.positional_embedding");
    pos.shape[0] -= 1;  // 9 rows: neither 3 x 3 + 1 nor any square grid + 1
    pos.bytes.resize(pos.bytes.size() - static_cast<size_t>(pos.shape[1]) * 4);
  });
  st = load_failure();
  EXPECT_EQ(st.code(), StatusCode::kCorruption) << st.message();
  EXPECT_NE(st.message().find("tensor visual.attnpool.positional_embedding has shape [9, 512], "
                              "config says [10, 512]"),
            std::string::npos)
      << st.message();
}

TEST_F(ModelErrors, ValidCopyLoads) {
  auto model = Model::load(dir_.path().string());
  ASSERT_TRUE(model.ok()) << model.status().message();
  EXPECT_EQ((*model)->info().embed_dim, 32);
  EXPECT_EQ((*model)->info().image_size, 32);
  EXPECT_EQ((*model)->info().context_length, 77);
}

TEST_F(ModelErrors, UnknownPrecisionOrDevice) {
  ModelOptions options;
  options.precision = static_cast<Precision>(7);
  auto model = Model::load(dir_.path().string(), options);
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(model.status().message().find("precision 7 is not one this build runs"),
            std::string::npos)
      << model.status().message();
  options = {};
  options.device.kind = static_cast<DeviceKind>(3);
  model = Model::load(dir_.path().string(), options);
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), StatusCode::kUnsupported);
}

TEST_F(ModelErrors, TruncatedWeights) {
  fs::resize_file(dir_.file("model.safetensors"),
                  fs::file_size(dir_.file("model.safetensors")) / 2);
  Status st = load_failure();
  EXPECT_EQ(st.code(), StatusCode::kCorruption) << st.message();
  const std::string& error = st.message();
  EXPECT_NE(error.find(dir_.file("model.safetensors")), std::string::npos) << error;
  EXPECT_NE(error.find("truncated"), std::string::npos) << error;
}

TEST_F(ModelErrors, EmptyWeightsFile) {
  testing::write_file(dir_.file("model.safetensors"), "");
  Status st = load_failure();
  EXPECT_EQ(st.code(), StatusCode::kCorruption) << st.message();
  EXPECT_NE(st.message().find("not a safetensors file"), std::string::npos);
}

TEST_F(ModelErrors, MissingWeightsFile) {
  fs::remove(dir_.file("model.safetensors"));
  Status st = load_failure();
  EXPECT_EQ(st.code(), StatusCode::kNotFound) << st.message();
  EXPECT_NE(st.message().find("no model.safetensors"), std::string::npos);
}

TEST_F(ModelErrors, MissingTensor) {
  rewrite_weights([](auto& t) { t.erase("text_model.final_layer_norm.weight"); });
  Status st = load_failure();
  EXPECT_EQ(st.code(), StatusCode::kNotFound) << st.message();
  const std::string& error = st.message();
  EXPECT_NE(error.find("tensor text_model.final_layer_norm.weight is missing"), std::string::npos)
      << error;
  EXPECT_NE(error.find("model.safetensors"), std::string::npos) << error;
}

TEST_F(ModelErrors, TensorOfWrongShape) {
  rewrite_weights([](auto& t) {
    auto& w = t["text_model.final_layer_norm.weight"];
    w.shape = {2, 24};
  });
  Status st = load_failure();
  EXPECT_EQ(st.code(), StatusCode::kCorruption) << st.message();
  const std::string& error = st.message();
  EXPECT_NE(error.find("tensor text_model.final_layer_norm.weight has shape [2, 24], config says "
                       "[48]"),
            std::string::npos)
      << error;
}

TEST_F(ModelErrors, ConfigDisagreesWithWeights) {
  std::string config = testing::read_file(dir_.file("config.json"));
  auto pos = config.find("\"projection_dim\": 32");
  ASSERT_NE(pos, std::string::npos);
  config.replace(pos, 20, "\"projection_dim\": 31");
  testing::write_file(dir_.file("config.json"), config);
  Status st = load_failure();
  EXPECT_EQ(st.code(), StatusCode::kCorruption) << st.message();
  const std::string& error = st.message();
  EXPECT_NE(error.find("has shape [32, 64], config says [31, 64]"), std::string::npos) << error;
}

TEST_F(ModelErrors, UnknownDtype) {
  rewrite_weights([](auto& t) { t["logit_scale"].dtype = "F128"; });
  Status st = load_failure();
  EXPECT_EQ(st.code(), StatusCode::kCorruption) << st.message();
  EXPECT_NE(st.message().find("unknown dtype 'F128'"), std::string::npos);
}

TEST_F(ModelErrors, IntegerTensorWhereFloatsAreNeeded) {
  rewrite_weights([](auto& t) {
    auto& w = t["text_model.final_layer_norm.weight"];
    w.dtype = "I32";
  });
  Status st = load_failure();
  EXPECT_EQ(st.code(), StatusCode::kUnsupported) << st.message();
  EXPECT_NE(st.message().find("has dtype I32, expected F32, F16 or BF16"), std::string::npos);
}

TEST_F(ModelErrors, BrokenConfig) {
  testing::write_file(dir_.file("config.json"), "{\"model_type\": \"clip\", ");
  Status st = load_failure();
  EXPECT_EQ(st.code(), StatusCode::kCorruption) << st.message();
  const std::string& error = st.message();
  EXPECT_NE(error.find("config.json"), std::string::npos) << error;
}

TEST_F(ModelErrors, BadTokenIds) {
  auto model = Model::load(dir_.path().string());
  ASSERT_TRUE(model.ok());
  std::vector<float> out(64);
  auto too_long = (*model)->encode_texts({std::vector<int32_t>(78, 5)}, out.data());
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(too_long.message().find("78 token ids, the model's context length is 77"),
            std::string::npos);
  auto outside = (*model)->encode_texts({{49406, 50000}}, out.data());
  ASSERT_FALSE(outside.ok());
  EXPECT_EQ(outside.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(outside.message().find("token id 50000 is outside"), std::string::npos);
  auto negative = (*model)->encode_texts({{1, 2}, {-1}}, out.data());
  ASSERT_FALSE(negative.ok());
  EXPECT_EQ(negative.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(negative.message().find("text 1"), std::string::npos);
  EXPECT_FALSE((*model)->encode_texts({{}}, out.data()).ok());
  EXPECT_TRUE((*model)->encode_texts({}, out.data()).ok());
  EXPECT_TRUE((*model)->encode_images(nullptr, 0, out.data()).ok());
}

}  // namespace
}  // namespace clipsearch
