// CudaBackend's products (linear, linear_blocks) and embed_tokens against CpuBackend's on the
// shapes of B/32, B/16 and L/14, for every weight type the host holds. The device multiplies
// 16-bit values with F32 accumulation, so the bound is that of rounding both factors to 16 bits:
// with u the unit roundoff (F16 2^-11; BF16 2^-8, activations converted to BF16),
// |cuda - cpu| <= 2.5 u sum_i |x_i w_i| + 1e-5 (2 u for the two roundings, a margin for the
// CPU's own, which is at most u for BF16 on a CPU that multiplies in BF16).
#include <algorithm>
#include <cmath>

#include "cuda/cuda_backend_test_util.h"
#include "tensor/weight_matrix.h"

namespace clipsearch::cuda::testing {
namespace {

constexpr double kF16Roundoff = 1.0 / 2048, kBf16Roundoff = 1.0 / 256;

struct Product {
  int64_t rows, in, out;
};
// q|k|v of B/16 (197 x 768 -> 2304), fc1 of L/14 (257 x 1024 -> 4096), fc2 of B/32
// (50 x 3072 -> 768), a projection (7 x 768 -> 512).
const Product kProducts[] = {{197, 768, 2304}, {257, 1024, 4096}, {50, 3072, 768}, {7, 768, 512}};

// got (the device's y [rows, ldy]) within the bound of want (the CPU's), the bound's magnitude
// sum_i |x_i w_i| in double; every 7th row and the last (the bound is the slow part).
void expect_product(const std::vector<float>& got, const std::vector<float>& want,
                    const std::vector<float>& x, const WeightMatrix& w, int64_t rows, int64_t ldy,
                    double roundoff, const std::string& what) {
  for (int64_t r = 0; r < rows; r += r + 7 < rows ? 7 : std::max<int64_t>(1, rows - 1 - r)) {
    for (int64_t o = 0; o < w.out(); ++o) {
      double magnitude = 0;
      for (int64_t i = 0; i < w.in(); ++i) {
        magnitude += std::fabs(static_cast<double>(x[r * w.in() + i]) * w.at(o, i));
      }
      ASSERT_NEAR(got[r * ldy + o], want[r * ldy + o], 2.5 * roundoff * magnitude + 1e-5)
          << what << ", row " << r << " output " << o;
    }
  }
}

// The weight of `p` in each type the host may hold, from one float32 matrix.
std::vector<WeightMatrix> every_type(const std::vector<float>& f32, const std::vector<float>& t,
                                     const Product& p) {
  const WeightMatrix out_in = WeightMatrix::f32(f32.data(), p.out, p.in, WeightLayout::kOutIn);
  return {out_in, WeightMatrix::f32(t.data(), p.out, p.in, WeightLayout::kInOut),
          WeightMatrix::convert(out_in, WeightType::kF16),
          WeightMatrix::convert(out_in, WeightType::kBF16),
          WeightMatrix::convert(out_in, WeightType::kInt8)};
}

std::vector<float> transposed(const std::vector<float>& m, int64_t rows, int64_t cols) {
  std::vector<float> t(m.size());
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) t[c * rows + r] = m[r * cols + c];
  return t;
}

TEST(CudaLinear, EveryWeightTypeAndBetaMatchTheCpu) {
  for (const Product& p : kProducts) {
    CLIPSEARCH_NEED_GPU();  // a backend for each product's weights, freed with them
    const auto f32 = random_values(p.out * p.in, 0.0f, 0.05f, 20);
    const auto t = transposed(f32, p.out, p.in);
    const auto x = random_values(p.rows * p.in, 0.0f, 1.0f, 21);
    const int64_t ldy = p.out + 8;
    const auto y0 = random_values(p.rows * ldy, 0.0f, 1.0f, 22);
    for (const WeightMatrix& w : every_type(f32, t, p)) {
      ASSERT_TRUE(cuda.prepare(w, host_matrix(w)).ok()) << cuda.status().message();
      for (float beta : {0.0f, 1.0f}) {
        const float* dx = cuda.to_backend(x.data(), x.size(), Buffer::kNormed);
        float* dy = cuda.buffer(Buffer::kMlp, y0.size());
        cuda.to_backend(y0.data(), y0.size(), Buffer::kMlp);
        cuda.linear(p.rows, dx, p.in, w, beta, dy, ldy);
        const auto got = host_copy(cuda, dy, y0.size());
        ASSERT_TRUE(cuda.status().ok()) << cuda.status().message();
        std::vector<float> want = y0;
        cpu.linear(p.rows, x.data(), p.in, w, beta, want.data(), ldy);
        const std::string what = std::string(weight_type_name(w.type())) +
                                 (w.layout() == WeightLayout::kInOut ? " [in, out]" : "") +
                                 " beta " + std::to_string(beta) + " in " + std::to_string(p.in);
        expect_product(got, want, x, w, p.rows, ldy,
                       w.type() == WeightType::kBF16 ? kBf16Roundoff : kF16Roundoff, what);
      }
    }
  }
}

// The patch embedding: each image's patches into rows 1.. of its tokens (row 0, the class
// token, untouched), beta 1 onto the position rows already there.
TEST(CudaLinear, BlocksWriteEachImagesRows) {
  CLIPSEARCH_NEED_GPU();
  const int64_t images = 3, patches = 49, in = 3 * 32 * 32, width = 768, tokens = patches + 1;
  const auto f32 = random_values(width * in, 0.0f, 0.02f, 23);
  const WeightMatrix w = WeightMatrix::f32(f32.data(), width, in, WeightLayout::kOutIn);
  ASSERT_TRUE(cuda.prepare(w, host_matrix(w)).ok());
  const int64_t x_stride = patches * in + 5;  // blocks apart by more than their rows
  const auto x = random_values(images * x_stride, 0.0f, 1.0f, 24);
  const auto hidden = random_values(images * tokens * width, 0.0f, 1.0f, 25);
  const float* dx = cuda.to_backend(x.data(), x.size(), Buffer::kPatches);
  float* dh = cuda.buffer(Buffer::kHidden, hidden.size());
  cuda.to_backend(hidden.data(), hidden.size(), Buffer::kHidden);
  cuda.linear_blocks(images, patches, dx, x_stride, in, w, 1.0f, dh + width, tokens * width, width);
  const auto got = host_copy(cuda, dh, hidden.size());
  ASSERT_TRUE(cuda.status().ok()) << cuda.status().message();
  std::vector<float> want = hidden;
  cpu.linear_blocks(images, patches, x.data(), x_stride, in, w, 1.0f, want.data() + width,
                    tokens * width, width);
  for (int64_t n = 0; n < images; ++n) {
    for (int64_t i = 0; i < width; ++i) {  // the class token's row
      ASSERT_EQ(got[n * tokens * width + i], hidden[n * tokens * width + i]) << n;
    }
    const auto first = (n * tokens + 1) * width, last = (n + 1) * tokens * width;
    const std::vector<float> xn(x.begin() + n * x_stride, x.begin() + n * x_stride + patches * in);
    expect_product({got.begin() + first, got.begin() + last},
                   {want.begin() + first, want.begin() + last}, xn, w, patches, width, kF16Roundoff,
                   "image " + std::to_string(n));
  }
}

TEST(CudaEmbedTokens, EveryTableTypeMatchesTheCpu) {
  CLIPSEARCH_NEED_GPU();
  const int64_t vocabulary = 1000, width = 512, context = 77;
  const auto f32 = random_values(vocabulary * width, 0.0f, 0.02f, 26);
  const auto t = transposed(f32, vocabulary, width);
  const auto positions = random_values(context * width, 0.0f, 0.01f, 27);
  ASSERT_TRUE(cuda.prepare(positions.data(), context * width).ok());
  // Two texts packed: 5 tokens and 77.
  std::vector<int32_t> ids;
  std::vector<int64_t> position;
  for (int64_t len : {5, 77}) {
    for (int64_t i = 0; i < len; ++i) {
      ids.push_back(static_cast<int32_t>((i * 37 + len) % vocabulary));
      position.push_back(i);
    }
  }
  const auto rows = static_cast<int64_t>(ids.size());
  for (const WeightMatrix& table : every_type(f32, t, Product{0, width, vocabulary})) {
    ASSERT_TRUE(cuda.prepare(table, host_matrix(table)).ok()) << cuda.status().message();
    float* hidden = cuda.buffer(Buffer::kHidden, rows * width);
    cuda.embed_tokens(table, ids.data(), position.data(), rows, positions.data(), width, hidden);
    const auto got = host_copy(cuda, hidden, rows * width);
    ASSERT_TRUE(cuda.status().ok()) << cuda.status().message();
    std::vector<float> want(rows * width);
    cpu.embed_tokens(table, ids.data(), position.data(), rows, positions.data(), width,
                     want.data());
    // Exact for a 16-bit table; else the table's value rounded to F16 (|value| <= |want| + |pos|).
    const double roundoff =
        table.type() == WeightType::kBF16 || table.type() == WeightType::kF16 ? 0.0 : kF16Roundoff;
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t i = 0; i < width; ++i) {
        const double w = want[r * width + i], pos = positions[position[r] * width + i];
        ASSERT_NEAR(got[r * width + i], w, roundoff * (std::fabs(w) + std::fabs(pos)) + 1e-7)
            << weight_type_name(table.type()) << " row " << r << " column " << i;
      }
    }
  }
}

}  // namespace
}  // namespace clipsearch::cuda::testing
