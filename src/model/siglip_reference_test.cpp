// Differential test: clipsearch's SigLIP against transformers 4.37.2 SiglipModel on random-weight
// models that tests/reference/make_siglip_models.py built and saved (the ctest fixture
// siglip_reference_models runs it first): image and text embeddings, the sigmoid probabilities,
// and the reduced precisions.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "clipsearch/model.h"
#include "core/npy.h"
#include "model/reference_compare_test_util.h"
#include "testing/test_util.h"

namespace clipsearch {
namespace {

struct Case {
  std::string name, dir;
  float logit_scale = 0, logit_bias = 0;
};

std::vector<Case> load_manifest() {
  std::vector<Case> cases;
  std::ifstream in(testing::reference_dir() + "/siglip_models/manifest.json");
  if (!in) return cases;
  for (const auto& e : nlohmann::json::parse(in)) {
    cases.push_back({e["name"], e["dir"], e["logit_scale"], e["logit_bias"]});
  }
  return cases;
}

struct Embeddings {
  std::vector<float> images, texts;  // normalized
};

Embeddings embed(Model& m, const NpyArray& pixels, const std::vector<std::vector<int32_t>>& ids,
                 bool normalize) {
  const size_t dim = static_cast<size_t>(m.info().embed_dim);
  Embeddings e;
  e.images.resize(static_cast<size_t>(pixels.shape[0]) * dim);
  e.texts.resize(ids.size() * dim);
  EXPECT_TRUE(
      m.encode_images(pixels.data.data(), pixels.shape[0], e.images.data(), normalize).ok());
  EXPECT_TRUE(m.encode_texts(ids, e.texts.data(), normalize).ok());
  return e;
}

class SiglipReference : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    const Case& c = GetParam();
    auto pixels = npy_read(c.dir + "/pixels.npy");
    ASSERT_TRUE(pixels.ok()) << pixels.status().message();
    pixels_ = *pixels;
    ids_ = testing::load_token_ids(c.dir + "/token_ids.json");
  }
  NpyArray read(const std::string& file) {
    auto array = npy_read(GetParam().dir + "/" + file);
    EXPECT_TRUE(array.ok()) << array.status().message();
    return array.ok() ? *array : NpyArray{};
  }
  NpyArray pixels_;
  std::vector<std::vector<int32_t>> ids_;
};

TEST_P(SiglipReference, InfoDescribesTheModel) {
  const Case& c = GetParam();
  auto model = Model::load(c.dir);
  ASSERT_TRUE(model.ok()) << model.status().message();
  const ModelInfo& info = (*model)->info();
  EXPECT_EQ(info.layout, "huggingface");
  EXPECT_EQ(info.image_tower, "vit");
  EXPECT_EQ(info.text_tower, "siglip");
  EXPECT_EQ(info.score_kind, ModelInfo::ScoreKind::kSigmoid);
  EXPECT_FLOAT_EQ(info.logit_scale, c.logit_scale);
  EXPECT_FLOAT_EQ(info.logit_bias, c.logit_bias);
  EXPECT_EQ(info.embed_dim, info.vision_width);
  EXPECT_EQ(info.context_length, static_cast<int64_t>(ids_[0].size()));
  EXPECT_EQ(info.image_size, pixels_.shape[2]);
}

TEST_P(SiglipReference, EmbeddingsMatchTheReference) {
  const Case& c = GetParam();
  auto model = Model::load(c.dir);
  ASSERT_TRUE(model.ok()) << model.status().message();
  const Embeddings raw = embed(**model, pixels_, ids_, /*normalize=*/false);
  const double image_cos = testing::expect_rows_close(c.name + " image", raw.images,
                                                      read("image_raw.npy"), 0.99999, 1e-4);
  const double text_cos =
      testing::expect_rows_close(c.name + " text", raw.texts, read("text_raw.npy"), 0.99999, 1e-4);
  std::cout << "[ info ] " << c.name << ": 1 - lowest cosine: image " << 1 - image_cos << ", text "
            << 1 - text_cos << "\n";
}

// sigmoid(exp(logit_scale) * cos + logit_bias) from the normalized embeddings and the model's
// scalars equals the reference's logits_per_text through a sigmoid.
TEST_P(SiglipReference, ProbabilitiesMatchTheReference) {
  auto model = Model::load(GetParam().dir);
  ASSERT_TRUE(model.ok()) << model.status().message();
  const ModelInfo& info = (*model)->info();
  const Embeddings e = embed(**model, pixels_, ids_, /*normalize=*/true);
  const NpyArray ref = read("probabilities.npy");
  const int64_t texts = static_cast<int64_t>(ids_.size()), images = pixels_.shape[0];
  ASSERT_EQ(ref.shape, (std::vector<int64_t>{texts, images}));
  const size_t dim = static_cast<size_t>(info.embed_dim);
  double worst = 0;
  for (int64_t t = 0; t < texts; ++t) {
    for (int64_t i = 0; i < images; ++i) {
      double cos = 0;
      for (size_t k = 0; k < dim; ++k) {
        cos += double{e.texts[static_cast<size_t>(t) * dim + k]} *
               e.images[static_cast<size_t>(i) * dim + k];
      }
      const double logit = std::exp(double{info.logit_scale}) * cos + info.logit_bias;
      const double p = 1 / (1 + std::exp(-logit));
      worst = std::max(worst, std::fabs(p - ref.data[static_cast<size_t>(t * images + i)]));
    }
  }
  EXPECT_LE(worst, 1e-5);
  std::cout << "[ info ] " << GetParam().name << ": probabilities within " << worst << "\n";
}

TEST_P(SiglipReference, BatchEqualsOneByOne) {
  auto model = Model::load(GetParam().dir);
  ASSERT_TRUE(model.ok()) << model.status().message();
  const Embeddings batch = embed(**model, pixels_, ids_, true);
  const size_t dim = static_cast<size_t>((*model)->info().embed_dim);
  const int64_t floats = pixels_.shape[1] * pixels_.shape[2] * pixels_.shape[3];
  for (int64_t n = 0; n < pixels_.shape[0]; ++n) {
    std::vector<float> one(dim);
    ASSERT_TRUE((*model)->encode_images(pixels_.data.data() + n * floats, 1, one.data()).ok());
    for (size_t k = 0; k < dim; ++k) {
      EXPECT_NEAR(one[k], batch.images[static_cast<size_t>(n) * dim + k], 1e-5) << "image " << n;
    }
  }
  for (size_t t = 0; t < ids_.size(); ++t) {
    std::vector<float> one(dim);
    ASSERT_TRUE((*model)->encode_texts({ids_[t]}, one.data()).ok());
    for (size_t k = 0; k < dim; ++k) {
      EXPECT_NEAR(one[k], batch.texts[t * dim + k], 1e-5) << "text " << t;
    }
  }
}

// The reduced precisions run SigLIP (its encoder layers, patch and token embeddings reduced; the
// probe head and the text head float32) close to float32, and a `clipsearch quantize`d folder
// embeds as the load-time conversion does.
TEST_P(SiglipReference, ReducedPrecisionsStayClose) {
  const Case& c = GetParam();
  auto f32 = Model::load(c.dir);
  ASSERT_TRUE(f32.ok()) << f32.status().message();
  const Embeddings want = embed(**f32, pixels_, ids_, true);
  testing::TempDir tmp;
  for (Precision p : {Precision::kBFloat16, Precision::kFloat16, Precision::kInt8}) {
    SCOPED_TRACE(precision_name(p));
    auto reduced = Model::load(c.dir, {p});
    ASSERT_TRUE(reduced.ok()) << reduced.status().message();
    EXPECT_EQ(reduced.value()->info().precision, precision_name(p));
    const Embeddings got = embed(**reduced, pixels_, ids_, true);
    const size_t dim = static_cast<size_t>((*f32)->info().embed_dim);
    double lowest = 1;
    for (auto [a, b] : {std::pair{&got.images, &want.images}, std::pair{&got.texts, &want.texts}}) {
      for (size_t r = 0; r < a->size() / dim; ++r) {
        double dot = 0;
        for (size_t k = 0; k < dim; ++k) dot += double{(*a)[r * dim + k]} * (*b)[r * dim + k];
        lowest = std::min(lowest, dot);
      }
    }
    EXPECT_GE(lowest, p == Precision::kInt8 ? 0.99 : 0.999);
    std::cout << "[ info ] " << c.name << " " << precision_name(p)
              << ": 1 - lowest cosine to f32: " << 1 - lowest << "\n";
    if (c.name.find("full") != std::string::npos) continue;  // quantizing 800 MB: small ones
    const std::string out = tmp.file(std::string("q_") + precision_name(p));
    auto report = quantize_model(c.dir, p, out);
    ASSERT_TRUE(report.ok()) << report.status().message();
    auto quantized = Model::load(out);
    ASSERT_TRUE(quantized.ok()) << quantized.status().message();
    const Embeddings q = embed(**quantized, pixels_, ids_, true);
    EXPECT_EQ(q.images, got.images);
    EXPECT_EQ(q.texts, got.texts);
  }
}

// A folder whose config.json disagrees with its tensors, or lacks one, is refused naming the
// tensor.
TEST(SiglipErrors, NameTheTensor) {
  const std::string source = testing::reference_dir() + "/siglip_models/siglip_small_odd";
  testing::TempDir tmp;
  namespace fs = std::filesystem;
  fs::copy(source + "/model.safetensors", tmp.file("model.safetensors"));
  std::ifstream in(source + "/config.json");
  nlohmann::json config = nlohmann::json::parse(in);
  config["vision_config"]["image_size"] = 56;  // 7 x 7 patches of 8: the checkpoint has 6 x 6
  testing::write_file(tmp.file("config.json"), config.dump());
  auto model = Model::load(tmp.file(""));
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.status().message().find("vision_model.embeddings.position_embedding.weight"),
            std::string::npos)
      << model.status().message();
  config["vision_config"]["image_size"] = 48;
  config["text_config"]["vocab_size"] = 1001;
  testing::write_file(tmp.file("config.json"), config.dump());
  model = Model::load(tmp.file(""));
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.status().message().find("text_model.embeddings.token_embedding.weight"),
            std::string::npos)
      << model.status().message();
}

INSTANTIATE_TEST_SUITE_P(Models, SiglipReference, ::testing::ValuesIn(load_manifest()),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return info.param.name;
                         });

TEST(SiglipReferenceManifest, FixtureProducedEveryModel) {
  auto cases = load_manifest();
  ASSERT_GE(cases.size(), 3u) << "reference fixture did not run: " << testing::reference_dir();
  bool has_full = false;
  for (const auto& c : cases) has_full |= c.name == "siglip_base_full";
  EXPECT_TRUE(has_full);
}

}  // namespace
}  // namespace clipsearch
