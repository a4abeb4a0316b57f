// CudaBackend's row-wise operations against CpuBackend's (make_cpu_backend()) on the shapes of
// B/32, B/16 and L/14. Float32 throughout: the activations agree with the CPU to a few ulp
// (1e-5 relative; CUDA's erff and expf differ from glibc's vector ones by an ulp or two), the
// residual add to one, the layer norm to 1e-4 (sums in another order), the row movements
// exactly.
#include <algorithm>

#include "cuda/cuda_backend_test_util.h"

namespace clipsearch::cuda::testing {
namespace {

struct RowsShape {
  int64_t rows, width;
};
// Tokens x width of B/32 (50 x 768), B/16 (197 x 768), L/14 (257 x 1024), an MLP's width.
const RowsShape kShapes[] = {{50, 768}, {197, 768}, {257, 1024}, {77, 3072}};

TEST(CudaOps, LayerNormMatchesTheCpu) {
  CLIPSEARCH_NEED_GPU();
  // Weights are prepared once per host address: one gamma and beta for every width.
  const auto gamma = random_values(3072, 1.0f, 0.5f, 2), beta = random_values(3072, 0.0f, 0.5f, 3);
  ASSERT_TRUE(cuda.prepare(gamma.data(), 3072).ok());
  ASSERT_TRUE(cuda.prepare(beta.data(), 3072).ok());
  for (const auto& s : kShapes) {
    const int64_t ld = s.width + 3;  // a leading dimension wider than the row
    const auto x = random_values(s.rows * ld, 30.0f, 2.0f, 1);  // offset: no one-pass variance
    std::vector<float> want(x.size(), 0.0f);
    cpu.layer_norm(x.data(), s.rows, s.width, ld, gamma.data(), beta.data(), 1e-5f, want.data(),
                   ld);
    const float* dx = cuda.to_backend(x.data(), s.rows * ld, Buffer::kHidden);
    float* out = cuda.buffer(Buffer::kNormed, s.rows * ld);
    const std::vector<float> zeros(x.size(), 0.0f);  // the padding, as in want
    cuda.to_backend(zeros.data(), s.rows * ld, Buffer::kNormed);
    cuda.layer_norm(dx, s.rows, s.width, ld, gamma.data(), beta.data(), 1e-5f, out, ld);
    const auto got = host_copy(cuda, out, x.size());
    ASSERT_TRUE(cuda.status().ok()) << cuda.status().message();
    // The mean of 3072 values near 30 summed in another order: 1e-4, not a few ulp.
    expect_near(got, want, 1e-4f, 1e-4f, "layer_norm width " + std::to_string(s.width));
  }
}

TEST(CudaOps, BiasActivationMatchesTheCpuForEveryActivation) {
  CLIPSEARCH_NEED_GPU();
  const Activation acts[] = {Activation::kQuickGelu, Activation::kGelu, Activation::kGeluTanh,
                             Activation::kRelu, Activation::kIdentity};
  const auto bias = random_values(3072, 0.0f, 1.0f, 4);
  ASSERT_TRUE(cuda.prepare(bias.data(), 3072).ok());
  for (const auto& s : kShapes) {
    for (Activation act : acts) {
      for (const float* b : {bias.data(), static_cast<const float*>(nullptr)}) {
        const int64_t ld = s.width + 1;
        auto want = random_values(s.rows * ld, 0.0f, 3.0f, 5);
        float* dx = cuda.buffer(Buffer::kMlp, s.rows * ld);
        cuda.to_backend(want.data(), s.rows * ld, Buffer::kMlp);
        cuda.bias_activation(dx, s.rows, s.width, ld, b, act);
        cpu.bias_activation(want.data(), s.rows, s.width, ld, b, act);
        const auto got = host_copy(cuda, dx, want.size());
        ASSERT_TRUE(cuda.status().ok()) << cuda.status().message();
        expect_near(got, want, 1e-6f, 1e-5f,
                    "activation " + std::to_string(static_cast<int>(act)) +
                        (b ? " with bias" : " without bias"));
      }
    }
  }
}

TEST(CudaOps, AddResidualAndFillRowsMatchTheCpu) {
  CLIPSEARCH_NEED_GPU();
  const auto bias = random_values(1024, 0.0f, 1.0f, 6);
  ASSERT_TRUE(cuda.prepare(bias.data(), 1024).ok());
  for (const auto& s : kShapes) {
    if (s.width > 1024) continue;
    for (const float* b : {bias.data(), static_cast<const float*>(nullptr)}) {
      const int64_t ldx = s.width + 2, ldy = s.width + 5;
      auto want = random_values(s.rows * ldx, 0.0f, 1.0f, 7);
      const auto y = random_values(s.rows * ldy, 0.0f, 1.0f, 8);
      float* dx = cuda.buffer(Buffer::kHidden, s.rows * ldx);
      cuda.to_backend(want.data(), s.rows * ldx, Buffer::kHidden);
      const float* dy = cuda.to_backend(y.data(), s.rows * ldy, Buffer::kBranch);
      cuda.add_residual(dx, s.rows, s.width, ldx, dy, ldy, b);
      cpu.add_residual(want.data(), s.rows, s.width, ldx, y.data(), ldy, b);
      expect_near(host_copy(cuda, dx, want.size()), want, 0.0f, 1e-6f, "add_residual");
    }
    // fill_rows: every row = bias, the padding of each row untouched.
    const int64_t ld = s.width + 4;
    std::vector<float> want(s.rows * ld, -1.0f);
    float* dy = cuda.buffer(Buffer::kBranch, s.rows * ld);
    cuda.to_backend(want.data(), s.rows * ld, Buffer::kBranch);
    cuda.fill_rows(dy, s.rows, s.width, ld, bias.data());
    cpu.fill_rows(want.data(), s.rows, s.width, ld, bias.data());
    expect_near(host_copy(cuda, dy, want.size()), want, 0.0f, 0.0f, "fill_rows");
  }
  ASSERT_TRUE(cuda.status().ok()) << cuda.status().message();
}

TEST(CudaOps, GatherAndScatterRows) {
  CLIPSEARCH_NEED_GPU();
  const int64_t rows = 197 * 3, width = 768, ld = 3 * width;
  const auto src = random_values(rows * ld, 0.0f, 1.0f, 9);
  const std::vector<int64_t> picked = {0, 197, 394, 5, 590};
  const auto count = static_cast<int64_t>(picked.size());
  const float* dsrc = cuda.to_backend(src.data(), rows * ld, Buffer::kQkv);
  float* dst = cuda.buffer(Buffer::kPooled, count * width);
  cuda.gather_rows(dsrc, ld, picked.data(), count, width, dst);
  std::vector<float> want(count * width);
  cpu.gather_rows(src.data(), ld, picked.data(), count, width, want.data());
  expect_near(host_copy(cuda, dst, want.size()), want, 0.0f, 0.0f, "gather_rows");

  // Scatter the gathered rows, doubled, back into a zeroed [rows, ld].
  std::vector<float> doubled = want, back(rows * ld, 0.0f);
  for (float& v : doubled) v *= 2;
  const float* dd = cuda.to_backend(doubled.data(), count * width, Buffer::kPooled);
  float* dback = cuda.buffer(Buffer::kHidden, rows * ld);
  cuda.to_backend(back.data(), rows * ld, Buffer::kHidden);
  cuda.scatter_rows(dd, picked.data(), count, width, dback, ld);
  cpu.scatter_rows(doubled.data(), picked.data(), count, width, back.data(), ld);
  expect_near(host_copy(cuda, dback, back.size()), back, 0.0f, 0.0f, "scatter_rows");
  ASSERT_TRUE(cuda.status().ok()) << cuda.status().message();
}

TEST(CudaOps, UnfoldPatchesForEachPatchSize) {
  CLIPSEARCH_NEED_GPU();
  for (int64_t patch : {32, 16, 14}) {  // B/32, B/16, L/14 at 224 pixels
    const int64_t images = 2, channels = 3, size = 224, grid = size / patch;
    const auto pixels = random_values(images * channels * size * size, 0.0f, 1.0f, 10);
    std::vector<float> want(images * grid * grid * channels * patch * patch);
    cpu.unfold_patches(pixels.data(), images, channels, size, patch, want.data());
    const float* dp = cuda.to_backend(pixels.data(), pixels.size(), Buffer::kInput);
    float* out = cuda.buffer(Buffer::kPatches, want.size());
    cuda.unfold_patches(dp, images, channels, size, patch, out);
    expect_near(host_copy(cuda, out, want.size()), want, 0.0f, 0.0f,
                "patch " + std::to_string(patch));
  }
  ASSERT_TRUE(cuda.status().ok()) << cuda.status().message();
}

TEST(CudaOps, PositionRowsWithAndWithoutAClassEmbedding) {
  CLIPSEARCH_NEED_GPU();
  const int64_t images = 3, tokens = 197, width = 768;
  const auto positions = random_values(tokens * width, 0.0f, 1.0f, 11);
  const auto cls = random_values(width, 0.0f, 1.0f, 12);
  ASSERT_TRUE(cuda.prepare(positions.data(), tokens * width).ok());
  ASSERT_TRUE(cuda.prepare(cls.data(), width).ok());
  for (const float* c : {cls.data(), static_cast<const float*>(nullptr)}) {
    float* hidden = cuda.buffer(Buffer::kHidden, images * tokens * width);
    cuda.position_rows(hidden, images, tokens, width, c, positions.data());
    std::vector<float> want(images * tokens * width);
    cpu.position_rows(want.data(), images, tokens, width, c, positions.data());
    expect_near(host_copy(cuda, hidden, want.size()), want, 0.0f, 0.0f, "position_rows");
  }
  ASSERT_TRUE(cuda.status().ok()) << cuda.status().message();
}

// A caller that learns a vector's size from its first use may prepare it again, larger.
TEST(CudaOps, AVectorPreparedAgainWithMoreFloatsIsUploadedAgain) {
  CLIPSEARCH_NEED_GPU();
  const std::vector<float> values = {1, 2, 3, 4, 5, 6, 7, 8};
  ASSERT_TRUE(cuda.prepare(values.data(), 4).ok());
  ASSERT_TRUE(cuda.prepare(values.data(), 8).ok());
  ASSERT_TRUE(cuda.prepare(values.data(), 2).ok());  // fewer: the copy already holds them
  float* y = cuda.buffer(Buffer::kBranch, 2 * 8);
  cuda.fill_rows(y, 2, 8, 8, values.data());
  const auto got = host_copy(cuda, y, 16);
  ASSERT_TRUE(cuda.status().ok()) << cuda.status().message();
  for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i], values[i % 8]) << i;
}

}  // namespace
}  // namespace clipsearch::cuda::testing
