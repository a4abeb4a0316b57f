// Differential test: clipsearch's embeddings against transformers 4.25.1 CLIPModel and open_clip
// on random-weight models that tests/reference/make_clip_models.py built and saved (the ctest
// fixture clip_reference_models runs it first).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "clipsearch/model.h"
#include "core/npy.h"
#include "model/reference_compare_test_util.h"
#include "testing/test_util.h"

namespace clipsearch {
namespace {

struct Case {
  std::string name, dir, layout, dtype;
};

// clip_models: the reference's safetensors models; pytorch_bins: the same models re-saved as
// pytorch_model.bin (tests/reference/make_pytorch_bins.py).
std::vector<Case> load_manifest() {
  std::vector<Case> cases;
  for (const char* set : {"/clip_models/manifest.json", "/pytorch_bins/manifest.json"}) {
    std::ifstream in(testing::reference_dir() + set);
    if (!in) continue;
    auto manifest = nlohmann::json::parse(in);
    for (const auto& e : manifest) {
      cases.push_back({e["name"], e["dir"], e["layout"], e["dtype"]});
    }
  }
  return cases;
}

struct Tolerance {
  double min_cosine;
  double max_rel_error;  // max |got - ref| / max |ref|; <0: not checked
};

Tolerance tolerance_for(const std::string& dtype) {
  // 16-bit weight files are compared with the float32 model's reference outputs.
  if (dtype == "f16" || dtype == "bf16") return {0.9999, -1};
  return {0.99999, 1e-4};
}

void expect_close(const std::string& what, const std::vector<float>& got, const NpyArray& ref,
                  int64_t rows, int64_t dim, Tolerance tol) {
  ASSERT_EQ(ref.shape, (std::vector<int64_t>{rows, dim})) << what;
  testing::expect_rows_close(what, got, ref, tol.min_cosine, tol.max_rel_error);
}

class ClipReference : public ::testing::TestWithParam<Case> {};

TEST_P(ClipReference, EmbeddingsMatchTheReference) {
  const Case& c = GetParam();
  auto model = Model::load(c.dir);
  ASSERT_TRUE(model.ok()) << model.status().message();
  Model& m = **model;
  EXPECT_EQ(m.info().layout, c.layout);
  const int64_t dim = m.info().embed_dim;
  const Tolerance tol = tolerance_for(c.dtype);

  auto pixels = npy_read(c.dir + "/pixels.npy");
  ASSERT_TRUE(pixels.ok()) << pixels.status().message();
  const int64_t images = pixels->shape[0];
  auto image_ref = npy_read(c.dir + "/image_raw.npy");
  ASSERT_TRUE(image_ref.ok());
  std::vector<float> image_out(static_cast<size_t>(images * dim));
  ASSERT_TRUE(m.encode_images(pixels->data.data(), images, image_out.data(), false).ok());
  expect_close(c.name + " image raw", image_out, *image_ref, images, dim, tol);
  auto texts = testing::load_token_ids(c.dir + "/token_ids.json");
  auto text_ref = npy_read(c.dir + "/text_raw.npy");
  ASSERT_TRUE(text_ref.ok());
  std::vector<float> text_out(texts.size() * static_cast<size_t>(dim));
  ASSERT_TRUE(m.encode_texts(texts, text_out.data(), false).ok());
  expect_close(c.name + " text raw", text_out, *text_ref, static_cast<int64_t>(texts.size()), dim,
               tol);

  // Normalized embeddings: the reference's divided by their norm.
  for (auto* ref : {&*image_ref, &*text_ref}) {
    const int64_t rows = ref->shape[0];
    for (int64_t r = 0; r < rows; ++r) {
      double sq = 0;
      for (int64_t i = 0; i < dim; ++i)
        sq += std::pow(ref->data[static_cast<size_t>(r * dim + i)], 2);
      for (int64_t i = 0; i < dim; ++i) {
        ref->data[static_cast<size_t>(r * dim + i)] /= static_cast<float>(std::sqrt(sq));
      }
    }
  }
  ASSERT_TRUE(m.encode_images(pixels->data.data(), images, image_out.data(), true).ok());
  expect_close(c.name + " image normalized", image_out, *image_ref, images, dim, tol);
  ASSERT_TRUE(m.encode_texts(texts, text_out.data(), true).ok());
  expect_close(c.name + " text normalized", text_out, *text_ref, static_cast<int64_t>(texts.size()),
               dim, tol);
}

TEST_P(ClipReference, BatchOfTextsEqualsTextsOneByOne) {
  const Case& c = GetParam();
  auto model = Model::load(c.dir);
  ASSERT_TRUE(model.ok()) << model.status().message();
  auto texts = testing::load_token_ids(c.dir + "/token_ids.json");
  const int64_t dim = (*model)->info().embed_dim;
  std::vector<float> batch(texts.size() * static_cast<size_t>(dim));
  ASSERT_TRUE((*model)->encode_texts(texts, batch.data()).ok());
  for (size_t i = 0; i < texts.size(); ++i) {
    std::vector<float> one(static_cast<size_t>(dim));
    ASSERT_TRUE((*model)->encode_texts({texts[i]}, one.data()).ok());
    for (int64_t k = 0; k < dim; ++k) {
      EXPECT_NEAR(one[static_cast<size_t>(k)],
                  batch[i * static_cast<size_t>(dim) + static_cast<size_t>(k)], 1e-5);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Models, ClipReference, ::testing::ValuesIn(load_manifest()),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return info.param.name;
                         });

TEST(ClipReferenceManifest, FixtureProducedEveryModel) {
  auto cases = load_manifest();
  ASSERT_GE(cases.size(), 8u) << "reference fixture did not run: " << testing::reference_dir();
  bool has_open_clip = false, has_full = false, has_f16 = false, has_sharded = false;
  bool has_chinese_clip_bin = false;
  for (const auto& c : cases) {
    has_chinese_clip_bin |= c.name == "chinese_clip_small_bin";
    has_open_clip |= c.layout == "open_clip";
    has_full |= c.name.find("full") != std::string::npos;
    has_f16 |= c.dtype == "f16";
    has_sharded |= c.dtype == "sharded";
  }
  EXPECT_TRUE(has_open_clip && has_full && has_f16 && has_sharded && has_chinese_clip_bin);
}

}  // namespace
}  // namespace clipsearch

namespace clipsearch {
namespace {

// A batch larger than one internal chunk (about 2048 token rows) gives the same embeddings as
// the images one at a time.
TEST(ClipBatching, ChunkedBatchEqualsImagesOneByOne) {
  auto model = Model::load(testing::reference_dir() + "/clip_models/tiny_quick_gelu");
  ASSERT_TRUE(model.ok()) << model.status().message();
  const ModelInfo& info = (*model)->info();
  const int64_t count = 130;  // 17 tokens per image: 120 images per chunk
  const int64_t floats = 3 * info.image_size * info.image_size;
  std::vector<float> pixels(static_cast<size_t>(count * floats));
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = std::sin(0.37f * static_cast<float>(i));
  std::vector<float> batch(static_cast<size_t>(count * info.embed_dim));
  ASSERT_TRUE((*model)->encode_images(pixels.data(), count, batch.data()).ok());
  for (int64_t n : {int64_t{0}, int64_t{119}, int64_t{120}, count - 1}) {
    std::vector<float> one(static_cast<size_t>(info.embed_dim));
    ASSERT_TRUE((*model)->encode_images(pixels.data() + n * floats, 1, one.data()).ok());
    for (int64_t i = 0; i < info.embed_dim; ++i) {
      EXPECT_NEAR(one[static_cast<size_t>(i)], batch[static_cast<size_t>(n * info.embed_dim + i)],
                  1e-5)
          << "image " << n;
    }
  }
}

}  // namespace
}  // namespace clipsearch
