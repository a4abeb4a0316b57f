// Whole towers on the GPU against the same towers on the CPU (the forward pass of model/ is one
// for every backend; here it runs on CudaBackend and on CpuBackend): random-weight ViTs of the
// shapes of B/32, B/16 and L/14 at their full depth, and CLIP text towers on texts of 1 to 77
// tokens. The bar: every embedding's cosine with the CPU's >= 0.9999 (F16 weights and
// activations in the products, F32 accumulation). Weights are prepared as the operations name
// them (preparing_backend.h): Model::load's device path is not here yet.
#include <deque>
#include <string>

#include "cuda/cuda_backend_test_util.h"
#include "cuda/preparing_backend.h"
#include "model/towers.h"

namespace clipsearch::cuda::testing {
namespace {

// Random weights that stay where they are (the backends key them by address).
class RandomWeights {
 public:
  explicit RandomWeights(uint32_t seed) : seed_(seed) {}
  const float* tensor(int64_t n, float mean, float stddev) {
    storage_.push_back(random_values(static_cast<size_t>(n), mean, stddev, seed_++));
    return storage_.back().data();
  }
  WeightMatrix matrix(int64_t out, int64_t in, float stddev) {
    return WeightMatrix::f32(tensor(out * in, 0.0f, stddev), out, in, WeightLayout::kOutIn);
  }
  LayerNormWeights layer_norm(int64_t width) {
    return {tensor(width, 1.0f, 0.1f), tensor(width, 0.0f, 0.1f)};
  }
  // q and k larger than the rest: attention that is peaked, as in a trained model, not uniform.
  EncoderLayerWeights layer(const TransformerConfig& c) {
    EncoderLayerWeights l;
    l.ln1 = layer_norm(c.width);
    l.ln2 = layer_norm(c.width);
    l.q_weight = matrix(c.width, c.width, 0.05f);
    l.k_weight = matrix(c.width, c.width, 0.05f);
    l.v_weight = matrix(c.width, c.width, 0.02f);
    l.q_bias = tensor(c.width, 0.0f, 0.02f);
    l.k_bias = tensor(c.width, 0.0f, 0.02f);
    l.v_bias = tensor(c.width, 0.0f, 0.02f);
    l.out = {matrix(c.width, c.width, 0.02f), tensor(c.width, 0.0f, 0.02f)};
    l.fc1 = {matrix(c.mlp_width, c.width, 0.02f), tensor(c.mlp_width, 0.0f, 0.02f)};
    l.fc2 = {matrix(c.width, c.mlp_width, 0.02f), tensor(c.width, 0.0f, 0.02f)};
    return l;
  }

 private:
  uint32_t seed_;
  std::deque<std::vector<float>> storage_;
};

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

// A CUDA backend that prepares what each operation names, for a tower's workspace.
std::unique_ptr<Backend> preparing(std::unique_ptr<Backend> cuda) {
  return std::make_unique<PreparingBackend>(std::move(cuda));
}

struct VitShape {
  const char* name;
  int64_t width, heads, layers, patch, proj_dim;
};

TEST(CudaTowers, VisionTransformersOfB32B16AndL14) {
  for (const VitShape& s :
       {VitShape{"B/32", 768, 12, 12, 32, 512}, VitShape{"B/16", 768, 12, 12, 16, 512},
        VitShape{"L/14", 1024, 16, 24, 14, 768}}) {
    CLIPSEARCH_NEED_GPU();
    VisionConfig c;
    c.width = s.width;
    c.heads = s.heads;
    c.layers = s.layers;
    c.mlp_width = 4 * s.width;
    c.image_size = 224;
    c.patch_size = s.patch;
    RandomWeights random(40);
    VisionWeights w;
    w.patch_weight = random.matrix(c.width, 3 * s.patch * s.patch, 0.02f);
    w.class_embedding = random.tensor(c.width, 0.0f, 0.5f);
    w.position_embedding = random.tensor(c.tokens() * c.width, 0.0f, 0.5f);
    w.pre_ln = random.layer_norm(c.width);
    for (int64_t i = 0; i < c.layers; ++i) w.layers.push_back(random.layer(c));
    w.post_ln = random.layer_norm(c.width);
    w.projection.weight = random.matrix(s.proj_dim, c.width, 0.05f);

    const int64_t images = 3;
    const auto pixels = random_values(images * 3 * 224 * 224, 0.0f, 1.0f, 41);
    std::vector<float> want(images * s.proj_dim), got(images * s.proj_dim);
    TowerWorkspace on_cpu, on_gpu;
    on_gpu.backend = preparing(std::move(cuda_backend_owner));
    vision_forward(c, w, s.proj_dim, pixels.data(), images, want.data(), on_cpu);
    vision_forward(c, w, s.proj_dim, pixels.data(), images, got.data(), on_gpu);
    ASSERT_TRUE(on_gpu.backend->status().ok()) << on_gpu.backend->status().message();
    expect_cosines(got, want, s.proj_dim, s.name);
  }
}

struct TextShape {
  const char* name;
  int64_t width, heads, proj_dim;
};

TEST(CudaTowers, ClipTextTowersOnTextsOfOneTo77Tokens) {
  for (const TextShape& s : {TextShape{"B/32 text", 512, 8, 512}, {"L/14 text", 768, 12, 768}}) {
    CLIPSEARCH_NEED_GPU();
    TextConfig c;
    c.width = s.width;
    c.heads = s.heads;
    c.layers = 12;
    c.mlp_width = 4 * s.width;
    c.vocab_size = 1000;
    c.context_length = 77;
    RandomWeights random(50);
    TextWeights w;
    w.token_embedding = random.matrix(c.vocab_size, c.width, 0.5f);
    w.position_embedding = random.tensor(c.context_length * c.width, 0.0f, 0.1f);
    for (int64_t i = 0; i < c.layers; ++i) w.layers.push_back(random.layer(c));
    w.final_ln = random.layer_norm(c.width);
    w.projection.weight = random.matrix(s.proj_dim, c.width, 0.05f);

    std::vector<std::vector<int32_t>> texts;
    for (int64_t len : {1, 2, 5, 16, 40, 76, 77}) {
      const auto r = random_values(static_cast<size_t>(len), 0.0f, 1.0f, 51 + len);
      std::vector<int32_t> ids;
      for (float v : r) ids.push_back(static_cast<int32_t>(std::fabs(v) * 997) % 1000);
      texts.push_back(ids);
    }
    std::vector<float> want(texts.size() * s.proj_dim), got(want.size());
    TowerWorkspace on_cpu, on_gpu;
    // Every position a text may use, not only those of this pass's longest text.
    ASSERT_TRUE(cuda.prepare(w.position_embedding, c.context_length * c.width).ok());
    on_gpu.backend = preparing(std::move(cuda_backend_owner));
    clip_text_forward(c, w, s.proj_dim, texts, want.data(), on_cpu);
    clip_text_forward(c, w, s.proj_dim, texts, got.data(), on_gpu);
    ASSERT_TRUE(on_gpu.backend->status().ok()) << on_gpu.backend->status().message();
    expect_cosines(got, want, s.proj_dim, s.name);
  }
}

}  // namespace
}  // namespace clipsearch::cuda::testing
