// conv2d_nhwc, avg_pool_nhwc and nchw_to_nhwc against their definitions computed in double, on
// odd shapes, through both of conv2d_nhwc's paths (blocks of rows per thread, the whole patch
// matrix) and every precision of the weight and the weight packed at load.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "clipsearch/threads.h"
#include "core/half.h"
#include "tensor/conv.h"
#include "tensor/weight_kernels.h"
#include "tensor/winograd.h"
#include "testing/random_floats.h"

namespace clipsearch {
namespace {

using testing::random_normal_floats;

// ref: torch.nn.functional.conv2d on NHWC data with an [out, ky, kx, c] weight, then
// act(beta * y + conv + bias).
std::vector<float> naive_conv(const ConvGeometry& g, const std::vector<float>& x,
                              const WeightMatrix& w, float beta, std::vector<float> y,
                              const std::vector<float>& bias, Activation act) {
  const int64_t oh = g.out_height(), ow = g.out_width(), out = w.out();
  for (int64_t n = 0; n < g.batch; ++n) {
    for (int64_t oy = 0; oy < oh; ++oy) {
      for (int64_t ox = 0; ox < ow; ++ox) {
        for (int64_t o = 0; o < out; ++o) {
          double s = bias.empty() ? 0.0 : bias[static_cast<size_t>(o)];
          for (int64_t ky = 0; ky < g.kernel; ++ky) {
            for (int64_t kx = 0; kx < g.kernel; ++kx) {
              const int64_t iy = oy * g.stride - g.padding + ky;
              const int64_t ix = ox * g.stride - g.padding + kx;
              if (iy < 0 || iy >= g.height || ix < 0 || ix >= g.width) continue;
              for (int64_t c = 0; c < g.channels; ++c) {
                s += static_cast<double>(x[static_cast<size_t>(
                         ((n * g.height + iy) * g.width + ix) * g.channels + c)]) *
                     w.at(o, (ky * g.kernel + kx) * g.channels + c);
              }
            }
          }
          float& dst = y[static_cast<size_t>(((n * oh + oy) * ow + ox) * out + o)];
          const double v = beta * dst + s;
          dst = static_cast<float>(act == Activation::kRelu ? std::max(0.0, v) : v);
        }
      }
    }
  }
  return y;
}

std::vector<float> bf16_rounded(std::vector<float> x) {
  for (float& v : x) v = bf16_to_f32(f32_to_bf16(v));
  return x;
}

struct ConvCase {
  ConvGeometry g;
  int64_t out;
};

// A case's random input, weight [out, patch], bias and prior output (for beta = 1).
struct ConvData {
  std::vector<float> x, weights, bias, y0;
};

ConvData conv_data(const ConvCase& c, uint32_t& seed) {
  const ConvGeometry& g = c.g;
  ConvData d;
  d.x =
      random_normal_floats(static_cast<size_t>(g.batch * g.height * g.width * g.channels), seed++);
  d.weights = random_normal_floats(static_cast<size_t>(c.out * g.patch()), seed++);
  d.bias = random_normal_floats(static_cast<size_t>(c.out), seed++);
  d.y0 = random_normal_floats(static_cast<size_t>(g.out_pixels() * c.out), seed++);
  return d;
}

TEST(Conv2d, EveryPathAndPrecisionMatchesTheDefinition) {
  set_num_threads(2);
  const std::vector<ConvCase> cases = {
      {{1, 7, 5, 3, 3, 2, 1}, 5},     // the stem's stride-2 3x3, odd sizes: the whole path
      {{3, 9, 11, 6, 3, 1, 1}, 7},    // 3x3 padded, 297 rows
      {{2, 40, 33, 5, 3, 1, 1}, 9},   // 2640 rows: blocks of rows per thread
      {{2, 40, 33, 12, 1, 1, 0}, 8},  // pointwise, blocked: the activations read in place
      {{1, 6, 6, 10, 1, 1, 0}, 4},    // pointwise, whole
      {{2, 30, 37, 4, 3, 2, 1}, 6},   // stride 2 with padding, blocked
  };
  uint32_t seed = 1;
  for (const ConvCase& c : cases) {
    const ConvGeometry& g = c.g;
    const ConvData d = conv_data(c, seed);
    const auto &x = d.x, &weights = d.weights, &bias = d.bias, &y0 = d.y0;
    const WeightMatrix f32 = WeightMatrix::owned_f32(weights, c.out, g.patch());
    for (WeightType type : {WeightType::kF32, WeightType::kBF16, WeightType::kInt8}) {
      const WeightMatrix w = WeightMatrix::convert(f32, type);
      for (float beta : {0.0f, 1.0f}) {
        for (Activation act : {Activation::kIdentity, Activation::kRelu}) {
          const std::vector<float> no_bias;
          const std::vector<float>& b = act == Activation::kRelu ? bias : no_bias;
          std::vector<float> got = y0, scratch;
          conv2d_nhwc(g, x.data(), w, beta, got.data(), b.empty() ? nullptr : b.data(), act,
                      scratch);
          const auto want = naive_conv(g, x, w, beta, y0, b, act);
          // Where the level multiplies BF16 and int8 weights in BF16, a product of more than 16
          // rows (most blocks here, not all) rounds the activations to BF16 first: each output
          // must then match one of the two definitions.
          const bool bf16 = rounds_activations_to_bf16(weight_kernels(isa_active()), type, 17);
          const auto want_bf16 = bf16 ? naive_conv(g, bf16_rounded(x), w, beta, y0, b, act) : want;
          for (size_t i = 0; i < want.size(); ++i) {
            const float tolerance = 1e-4f * (1.0f + std::fabs(want[i]));
            const float nearest = std::fabs(got[i] - want[i]) <= tolerance ? want[i] : want_bf16[i];
            ASSERT_NEAR(got[i], nearest, tolerance)
                << "case " << g.height << "x" << g.width << "x" << g.channels << " k" << g.kernel
                << " s" << g.stride << " type " << weight_type_name(type) << " beta " << beta
                << " at " << i;
          }
        }
      }
    }
  }
}

// The weight packed at load (the ResNet's form) through both paths, on the cases above.
TEST(Conv2d, PackedWeightMatchesTheDefinition) {
  set_num_threads(2);
  const std::vector<ConvCase> cases = {
      {{1, 7, 5, 3, 3, 2, 1}, 5},      // whole path, outputs short of a panel
      {{2, 40, 33, 5, 3, 1, 1}, 19},   // blocks of rows per thread, a ragged second panel
      {{2, 40, 33, 12, 1, 1, 0}, 40},  // pointwise, blocked
      {{1, 6, 6, 10, 1, 1, 0}, 33},    // pointwise, whole
  };
  uint32_t seed = 50;
  for (const ConvCase& c : cases) {
    const ConvGeometry& g = c.g;
    const ConvData d = conv_data(c, seed);
    const auto &x = d.x, &weights = d.weights, &bias = d.bias, &y0 = d.y0;
    const WeightMatrix f32 = WeightMatrix::owned_f32(weights, c.out, g.patch());
    const PackedWeights packed(weights.data(), c.out, g.patch());
    for (float beta : {0.0f, 1.0f}) {
      std::vector<float> got = y0, scratch;
      conv2d_nhwc(g, x.data(), packed, beta, got.data(), bias.data(), Activation::kRelu, scratch);
      const auto want = naive_conv(g, x, f32, beta, y0, bias, Activation::kRelu);
      for (size_t i = 0; i < want.size(); ++i) {
        ASSERT_NEAR(got[i], want[i], 1e-4f * (1.0f + std::fabs(want[i])))
            << "case " << g.height << "x" << g.width << "x" << g.channels << " k" << g.kernel
            << " beta " << beta << " at " << i;
      }
    }
  }
}

// F(2x2) within a few units in the last place of the definition; F(4x4)'s transforms scale by up
// to 8 (and its weights by 1/24), so its rounding is about ten times larger, still far below
// what the differential tests against open_clip allow (cosine 0.99999).
float winograd_tolerance(int64_t tile) { return tile == 2 ? 2e-5f : 2e-4f; }

TEST(Winograd, MatchesTheDefinitionOnOddSizesAcrossPasses) {
  set_num_threads(2);
  const std::vector<ConvCase> cases = {
      {{1, 1, 1, 3, 3, 1, 1}, 2},  // one pixel: every input but the centre is padding
      {{2, 7, 5, 6, 3, 1, 1}, 5},  // odd sizes: the last tiles' extra outputs dropped
      {{3, 12, 9, 17, 3, 1, 1}, 11},  {{1, 30, 31, 8, 3, 1, 1}, 16},
      {{1, 13, 10, 35, 3, 1, 1}, 33},  // channels past two 16-lane steps, ragged at both ends
  };
  uint32_t seed = 100;
  for (const ConvCase& c : cases) {
    const ConvGeometry& g = c.g;
    const auto x = random_normal_floats(
        static_cast<size_t>(g.batch * g.height * g.width * g.channels), seed++);
    const WeightMatrix w = WeightMatrix::owned_f32(
        random_normal_floats(static_cast<size_t>(c.out * g.patch()), seed++), c.out, g.patch());
    const auto bias = random_normal_floats(static_cast<size_t>(c.out), seed++);
    const auto y0 = random_normal_floats(static_cast<size_t>(g.out_pixels() * c.out), seed++);
    for (int64_t tile : {2, 4}) {
      const WinogradWeights u = winograd_weights(w.f32_data(), w.out(), w.in(), tile);
      ASSERT_EQ(u.points.size(), static_cast<size_t>((tile + 2) * (tile + 2)));
      for (int64_t pass : {0, 1, 7}) {  // automatic, one tile at a time, a ragged last pass
        for (float beta : {0.0f, 1.0f}) {
          for (Activation act : {Activation::kIdentity, Activation::kRelu}) {
            const std::vector<float> no_bias;
            const std::vector<float>& b = act == Activation::kRelu ? bias : no_bias;
            std::vector<float> got = y0, scratch;
            conv3x3_winograd_nhwc(g, x.data(), u, beta, got.data(), b.empty() ? nullptr : b.data(),
                                  act, scratch, pass);
            const auto want = naive_conv(g, x, w, beta, y0, b, act);
            for (size_t i = 0; i < want.size(); ++i) {
              ASSERT_NEAR(got[i], want[i], winograd_tolerance(tile) * (1.0f + std::fabs(want[i])))
                  << "F(" << tile << "x" << tile << ") " << g.height << "x" << g.width << "x"
                  << g.channels << " pass " << pass << " beta " << beta << " at " << i;
            }
          }
        }
      }
    }
  }
}

TEST(AvgPool, MeanOfEachWindowFloorsOddSizes) {
  const int64_t n = 2, h = 5, w = 7, c = 3, k = 2;
  const auto x = random_normal_floats(static_cast<size_t>(n * h * w * c), 9);
  std::vector<float> y(static_cast<size_t>(n * (h / k) * (w / k) * c));
  avg_pool_nhwc(x.data(), n, h, w, c, k, y.data());
  for (int64_t b = 0; b < n; ++b) {
    for (int64_t oy = 0; oy < h / k; ++oy) {
      for (int64_t ox = 0; ox < w / k; ++ox) {
        for (int64_t ch = 0; ch < c; ++ch) {
          double s = 0;
          for (int64_t dy = 0; dy < k; ++dy) {
            for (int64_t dx = 0; dx < k; ++dx) {
              s += x[static_cast<size_t>(((b * h + oy * k + dy) * w + ox * k + dx) * c + ch)];
            }
          }
          EXPECT_NEAR(y[static_cast<size_t>(((b * (h / k) + oy) * (w / k) + ox) * c + ch)],
                      s / (k * k), 1e-6);
        }
      }
    }
  }
}

TEST(NchwToNhwc, MovesEveryValue) {
  const int64_t n = 2, c = 3, h = 4, w = 5;
  const auto x = random_normal_floats(static_cast<size_t>(n * c * h * w), 11);
  std::vector<float> y(x.size());
  nchw_to_nhwc(x.data(), n, c, h, w, y.data());
  for (int64_t b = 0; b < n; ++b) {
    for (int64_t ch = 0; ch < c; ++ch) {
      for (int64_t iy = 0; iy < h; ++iy) {
        for (int64_t ix = 0; ix < w; ++ix) {
          EXPECT_EQ(y[static_cast<size_t>(((b * h + iy) * w + ix) * c + ch)],
                    x[static_cast<size_t>(((b * c + ch) * h + iy) * w + ix)]);
        }
      }
    }
  }
}

}  // namespace
}  // namespace clipsearch
