// The CUDA engine against transformers on CUDA (issue 16's proof): the folders that
// tests/gpu/make_cuda_references.py wrote on the GPU machine (random-weight CLIPModels of
// ViT-B/32, B/16 and L/14's shapes, their embeddings computed by transformers on the GPU in
// float32), loaded by Model::load on cuda:0 and on the CPU. The bar: every embedding's cosine
// with transformers' >= 0.9999 on the GPU (16-bit weights), >= 0.99999 on the CPU (float32).
// scripts/gpu_check.sh makes the folders and sets $CLIPSEARCH_CUDA_REFERENCE_DIR; without a
// device the test skips.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "clipsearch/model.h"
#include "core/npy.h"
#include "model/cuda_module.h"
#include "model/reference_compare_test_util.h"

namespace clipsearch {
namespace {

bool have_gpu() { return create_cuda_backend(0).ok(); }

// The lowest cosine of the model's image and text embeddings with transformers'.
void expect_reference(Model& model, const std::string& dir, double min_cosine,
                      const std::string& what) {
  const int64_t dim = model.info().embed_dim;
  auto pixels = npy_read(dir + "/pixels.npy");
  auto image_ref = npy_read(dir + "/image_raw.npy");
  auto text_ref = npy_read(dir + "/text_raw.npy");
  ASSERT_TRUE(pixels.ok() && image_ref.ok() && text_ref.ok()) << dir;
  std::vector<float> images(static_cast<size_t>(pixels->shape[0] * dim));
  const Status image_pass =
      model.encode_images(pixels->data.data(), pixels->shape[0], images.data(), false);
  ASSERT_TRUE(image_pass.ok()) << image_pass.message();
  const double image_low =
      testing::expect_rows_close(what + " images", images, *image_ref, min_cosine, -1);
  const auto texts = testing::load_token_ids(dir + "/token_ids.json");
  std::vector<float> out(texts.size() * static_cast<size_t>(dim));
  const Status text_pass = model.encode_texts(texts, out.data(), false);
  ASSERT_TRUE(text_pass.ok()) << text_pass.message();
  const double text_low =
      testing::expect_rows_close(what + " texts", out, *text_ref, min_cosine, -1);
  std::printf("%s: lowest cosine with transformers on CUDA: images %.7f, texts %.7f\n",
              what.c_str(), image_low, text_low);
}

TEST(CudaReference, EmbeddingsEqualTransformersOnCuda) {
  if (!have_gpu()) GTEST_SKIP() << "no CUDA device (or no engine module)";
  const char* root = std::getenv("CLIPSEARCH_CUDA_REFERENCE_DIR");
  ASSERT_NE(root, nullptr) << "scripts/gpu_check.sh makes the references and sets "
                              "CLIPSEARCH_CUDA_REFERENCE_DIR";
  std::ifstream in(std::string(root) + "/manifest.json");
  ASSERT_TRUE(in.good()) << root << "/manifest.json";
  const auto manifest = nlohmann::json::parse(in);
  ASSERT_EQ(manifest.size(), 3u);
  for (const auto& entry : manifest) {
    const std::string name = entry["name"], dir = entry["dir"];
    for (const char* device : {"cuda:0", "cpu"}) {
      ModelOptions options;
      options.device = *device_parse(device);
      auto model = Model::load(dir, options);
      ASSERT_TRUE(model.ok()) << model.status().message();
      const bool gpu = std::string(device) != "cpu";
      EXPECT_EQ((*model)->info().image_device.rfind("cuda:0 (", 0) == 0, gpu);
      EXPECT_EQ((*model)->info().text_device.rfind("cuda:0 (", 0) == 0, gpu);
      expect_reference(**model, dir, gpu ? 0.9999 : 0.99999, name + " on " + device);
    }
  }
}

}  // namespace
}  // namespace clipsearch
