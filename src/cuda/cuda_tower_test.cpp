// Whole towers on the GPU against the same towers on the CPU (the forward pass of model/ is one
// for every backend; here it runs on CudaBackend and on CpuBackend), their weights given to the
// GPU as Model::load gives them (prepare_image_tower, prepare_text_tower): random-weight ViTs of
// the shapes of B/32, B/16 and L/14 at their full depth (random_towers.h), and CLIP text towers
// on texts of 1 to 77 tokens. The bar: every embedding's cosine with the CPU's >= 0.9999
// (F16 weights and activations in the products, F32 accumulation).
#include <string>

#include "cuda/cuda_backend_test_util.h"
#include "cuda/random_towers.h"
#include "model/tower_placement.h"
#include "model/towers.h"

namespace clipsearch::cuda::testing {
namespace {

double cosine(const float* a, const float* b, int64_t n) {
  double ab = 0, aa = 0, bb = 0;
  for (int64_t i = 0; i < n; ++i) {
    ab += static_cast<double>(a[i]) * b[i];
    aa += static_cast<double>(a[i]) * a[i];
    bb += static_cast<double>(b[i]) * b[i];
  }
  return ab / std::sqrt(aa * bb);
}

void expect_cosines(const std::vector<float>& got, const std::vector<float>& want, int64_t dim,
                    const std::string& what) {
  for (size_t n = 0; n * dim < want.size(); ++n) {
    EXPECT_GE(cosine(&got[n * dim], &want[n * dim], dim), 0.9999) << what << ", embedding " << n;
  }
}

TEST(CudaTowers, VisionTransformersOfB32B16AndL14) {
  for (const VitShape& shape : {kB32, kB16, kL14}) {
    CLIPSEARCH_NEED_GPU();
    RandomVit vit;
    make_random_vit(shape, vit);
    ASSERT_TRUE(prepare_image_tower(cuda, vit.config, vit.weights).ok()) << cuda.status().message();
    const int64_t images = 3, dim = vit.proj_dim;
    const auto pixels = random_values(images * 3 * 224 * 224, 0.0f, 1.0f, 41);
    std::vector<float> want(images * dim), got(images * dim);
    TowerWorkspace on_cpu, on_gpu;
    on_gpu.backend = std::move(cuda_backend_owner);
    vision_forward(vit.config, vit.weights, dim, pixels.data(), images, want.data(), on_cpu);
    vision_forward(vit.config, vit.weights, dim, pixels.data(), images, got.data(), on_gpu);
    ASSERT_TRUE(on_gpu.backend->status().ok()) << on_gpu.backend->status().message();
    expect_cosines(got, want, dim, shape.name);
  }
}

TEST(CudaTowers, ClipTextTowersOnTextsOfOneTo77Tokens) {
  for (const TextShape& shape : {kB32Text, kL14Text}) {
    CLIPSEARCH_NEED_GPU();
    RandomText text;
    make_random_text(shape, text);
    ASSERT_TRUE(prepare_text_tower(cuda, text.config, text.weights).ok())
        << cuda.status().message();
    std::vector<std::vector<int32_t>> texts;
    for (int64_t len : {1, 2, 5, 16, 40, 76, 77}) {
      const auto r = random_values(static_cast<size_t>(len), 0.0f, 1.0f, 51 + len);
      std::vector<int32_t> ids;
      for (float v : r) ids.push_back(static_cast<int32_t>(std::fabs(v) * 997) % 1000);
      texts.push_back(ids);
    }
    const int64_t dim = text.proj_dim;
    std::vector<float> want(texts.size() * dim), got(want.size());
    TowerWorkspace on_cpu, on_gpu;
    on_gpu.backend = std::move(cuda_backend_owner);
    clip_text_forward(text.config, text.weights, dim, texts, want.data(), on_cpu);
    clip_text_forward(text.config, text.weights, dim, texts, got.data(), on_gpu);
    ASSERT_TRUE(on_gpu.backend->status().ok()) << on_gpu.backend->status().message();
    expect_cosines(got, want, dim, shape.name);
  }
}

}  // namespace
}  // namespace clipsearch::cuda::testing
