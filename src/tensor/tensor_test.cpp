#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "clipsearch/threads.h"
#include "core/half.h"
#include "tensor/gemm.h"
#include "tensor/ops.h"
#include "tensor/skinny_gemm.h"
#include "testing/random_floats.h"

namespace clipsearch {
namespace {

using testing::random_normal_floats;

// y = beta * y + x W(k, n) computed in double, the ground truth for every linear() path.
std::vector<float> naive_linear(int64_t m, int64_t n, int64_t k, const std::vector<float>& x,
                                const std::vector<float>& w, WeightLayout layout, float beta,
                                std::vector<float> y) {
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double s = 0;
      for (int64_t t = 0; t < k; ++t) {
        const float wv = layout == WeightLayout::kOutIn ? w[j * k + t] : w[t * n + j];
        s += static_cast<double>(x[i * k + t]) * wv;
      }
      y[i * n + j] = static_cast<float>(beta * y[i * n + j] + s);
    }
  }
  return y;
}

TEST(Linear, EveryPathMatchesNaive) {
  // Row counts that take the skinny kernel, the column split and the row split.
  for (int threads : {1, 2, 3}) {
    set_num_threads(threads);
    for (int64_t m : {1, 2, 3, 7, 16, 17, 50, 200}) {
      for (auto layout : {WeightLayout::kOutIn, WeightLayout::kInOut}) {
        for (float beta : {0.0f, 1.0f}) {
          const int64_t n = 37, k = 45;
          auto x = random_normal_floats(static_cast<size_t>(m * k), 1);
          auto w = random_normal_floats(static_cast<size_t>(n * k), 2);
          auto y = random_normal_floats(static_cast<size_t>(m * n), 3);
          auto expected = naive_linear(m, n, k, x, w, layout, beta, y);
          linear(m, n, k, x.data(), k, w.data(), layout, beta, y.data(), n);
          for (size_t i = 0; i < y.size(); ++i) {
            ASSERT_NEAR(y[i], expected[i], 1e-4) << "m=" << m << " threads=" << threads;
          }
        }
      }
    }
  }
  set_num_threads(0);
}

TEST(SkinnyGemm, StridedOutputAndOddSizes) {
  const int64_t m = 5, n = 13, k = 29, ldy = 20;
  auto x = random_normal_floats(m * k, 4), w = random_normal_floats(n * k, 5);
  std::vector<float> y(m * ldy, 7.0f);
  skinny_gemm(m, n, k, x.data(), k, w.data(), 0.0f, y.data(), ldy);
  auto expected =
      naive_linear(m, n, k, x, w, WeightLayout::kOutIn, 0.0f, std::vector<float>(m * n, 0.0f));
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) EXPECT_NEAR(y[i * ldy + j], expected[i * n + j], 1e-4);
    for (int64_t j = n; j < ldy; ++j) EXPECT_EQ(y[i * ldy + j], 7.0f);  // untouched
  }
}

TEST(LayerNorm, MatchesDefinition) {
  const int64_t rows = 5, width = 67;
  auto x = random_normal_floats(rows * width, 6);
  auto gamma = random_normal_floats(width, 7), beta = random_normal_floats(width, 8);
  std::vector<float> out(rows * width);
  layer_norm(x.data(), rows, width, width, gamma.data(), beta.data(), 1e-5f, out.data(), width);
  for (int64_t r = 0; r < rows; ++r) {
    double mean = 0, var = 0;
    for (int64_t i = 0; i < width; ++i) mean += x[r * width + i];
    mean /= width;
    for (int64_t i = 0; i < width; ++i) var += std::pow(x[r * width + i] - mean, 2);
    var /= width;
    for (int64_t i = 0; i < width; ++i) {
      double expected = (x[r * width + i] - mean) / std::sqrt(var + 1e-5) * gamma[i] + beta[i];
      EXPECT_NEAR(out[r * width + i], expected, 1e-5);
    }
  }
}

TEST(AddResidual, AddsTheBranchAndItsBias) {
  const int64_t rows = 5, width = 19, ldx = 23, ldy = 21;
  auto x = random_normal_floats(rows * ldx, 14), y = random_normal_floats(rows * ldy, 15);
  auto bias = random_normal_floats(width, 16);
  auto with_bias = x, without_bias = x;
  add_residual(with_bias.data(), rows, width, ldx, y.data(), ldy, bias.data());
  add_residual(without_bias.data(), rows, width, ldx, y.data(), ldy, nullptr);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t i = 0; i < ldx; ++i) {
      const float old = x[r * ldx + i];
      if (i >= width) {  // beyond the row's width: untouched
        EXPECT_EQ(with_bias[r * ldx + i], old);
        EXPECT_EQ(without_bias[r * ldx + i], old);
        continue;
      }
      const float branch = y[r * ldy + i];
      EXPECT_EQ(with_bias[r * ldx + i], old + (branch + bias[i]));
      EXPECT_EQ(without_bias[r * ldx + i], old + branch);
    }
  }
}

TEST(Activation, MatchesScalarDefinitions) {
  auto x = random_normal_floats(1003, 13);
  for (float& v : x) v *= 4;
  for (auto act :
       {Activation::kQuickGelu, Activation::kGelu, Activation::kGeluTanh, Activation::kRelu}) {
    auto y = x;
    bias_activation(y.data(), 1, static_cast<int64_t>(y.size()), 0, nullptr, act);
    for (size_t i = 0; i < x.size(); ++i) {
      double v = x[i], expected = 0;
      switch (act) {
        case Activation::kQuickGelu:
          expected = v / (1 + std::exp(-1.702 * v));
          break;
        case Activation::kGelu:
          expected = 0.5 * v * (1 + std::erf(v / std::sqrt(2.0)));
          break;
        case Activation::kGeluTanh:
          expected = 0.5 * v * (1 + std::tanh(std::sqrt(2 / M_PI) * (v + 0.044715 * v * v * v)));
          break;
        case Activation::kRelu:
          expected = std::max(0.0, v);
          break;
        case Activation::kIdentity:
          expected = v;
          break;
      }
      ASSERT_NEAR(y[i], expected, 2e-6 * std::max(1.0, std::fabs(expected))) << i;
    }
  }
}

TEST(Softmax, SumsToOneAndIsStable) {
  std::vector<float> row = {1000.0f, 1001.0f, 999.0f};
  softmax_row(row.data(), 3);
  EXPECT_NEAR(row[0] + row[1] + row[2], 1.0f, 1e-6);
  EXPECT_NEAR(row[1], 1.0 / (1 + std::exp(-1.0) + std::exp(-2.0)), 1e-6);
}

TEST(L2Normalize, UnitNormAndZeroRowsUntouched) {
  std::vector<float> x = {3, 4, 0, 0};
  l2_normalize_rows(x.data(), 2, 2);
  EXPECT_FLOAT_EQ(x[0], 0.6f);
  EXPECT_FLOAT_EQ(x[1], 0.8f);
  EXPECT_EQ(x[2], 0.0f);
}

TEST(Half, Conversions) {
  EXPECT_EQ(f16_to_f32(0x3c00), 1.0f);
  EXPECT_EQ(f16_to_f32(0xc000), -2.0f);
  EXPECT_EQ(f16_to_f32(0x7bff), 65504.0f);
  EXPECT_EQ(f16_to_f32(0x0001), std::ldexp(1.0f, -24));  // smallest subnormal
  EXPECT_TRUE(std::isinf(f16_to_f32(0x7c00)));
  EXPECT_TRUE(std::isnan(f16_to_f32(0x7e00)));
  EXPECT_EQ(std::signbit(f16_to_f32(0x8000)), true);
  EXPECT_EQ(bf16_to_f32(0x3f80), 1.0f);
  EXPECT_EQ(bf16_to_f32(0x4049), 3.140625f);
}

}  // namespace
}  // namespace clipsearch
