// The BF16 product kernel (weight_kernels_avx512bf16.cpp) against its definition: activations
// rounded to BF16 (nearest even), weights as BF16 values or int8 integers, products summed in
// double and int8's scale applied to the sum. The kernel sums in float32 in its own order, so the
// bound is the one of any float32 summation of k + 2 terms: (k + 2) * 2^-24 of the sum of the
// magnitudes (beta * y included). Run where the CPU has AVX512_BF16, skipped (saying so)
// elsewhere; the fallback levels are covered by weight_linear_test at every level.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "core/half.h"
#include "tensor/skinny_gemm.h"
#include "tensor/weight_kernels.h"
#include "tensor/weight_linear.h"
#include "testing/random_floats.h"

namespace clipsearch {
namespace {

bool have_bf16() { return isa_at_least(isa_supported(), Isa::kAvx512Bf16); }

std::vector<float> random_floats(size_t n, uint32_t seed, float scale = 1.0f) {
  std::vector<float> v = testing::random_normal_floats(n, seed);
  for (float& x : v) x *= scale;
  return v;
}

float round_bf16(float v) { return bf16_to_f32(f32_to_bf16(v)); }

// What the kernel multiplies by for column o, input i, and the scale applied after the sum.
double weight_value(const WeightMatrix& w, int64_t o, int64_t i) {
  return w.type() == WeightType::kInt8 ? w.i8_data()[o * w.in() + i] : w.at(o, i);
}
double weight_scale(const WeightMatrix& w, int64_t o) {
  return w.type() == WeightType::kInt8 ? w.scales()[o] : 1.0;
}

struct Case {
  int64_t m, out, in, col0, col1;
};

// Which kernel: the BF16 one on [out, in] storage, or the one on weights packed at load (BF16
// arithmetic for many rows, float32 for at most kSkinnyMaxRows).
enum class Kernel { kRepacking, kPacked };

void expect_kernel_matches_definition(const Case& c, WeightType type, float beta,
                                      Kernel kernel = Kernel::kRepacking) {
  const int64_t ldx = c.in + 3, ldy = c.out + 5;
  const std::vector<float> x = random_floats(static_cast<size_t>(c.m * ldx), 31);
  const std::vector<float> data = random_floats(static_cast<size_t>(c.out * c.in), 32, 0.05f);
  const WeightMatrix w = WeightMatrix::convert(
      WeightMatrix::f32(data.data(), c.out, c.in, WeightLayout::kOutIn), type);
  const std::vector<float> y0 = random_floats(static_cast<size_t>(c.m * ldy), 33);
  std::vector<float> y = y0;
  const WeightKernels& k = weight_kernels(Isa::kAvx512Bf16);
  const bool rounded = kernel == Kernel::kRepacking || c.m > kSkinnyMaxRows;
  if (kernel == Kernel::kPacked) {
    const WeightMatrix packed = WeightMatrix::bf16_products(w);
    k.bf16_packed(rounded, c.m, x.data(), ldx, *packed.bf16_packed(), c.col0, c.col1, beta,
                  y.data(), ldy);
  } else {
    k.bf16(c.m, x.data(), ldx, w, c.col0, c.col1, beta, y.data(), ldy);
  }
  const std::string what = std::string(kernel == Kernel::kPacked ? "packed " : "") +
                           weight_type_name(type) + " m=" + std::to_string(c.m) +
                           " out=" + std::to_string(c.out) + " in=" + std::to_string(c.in) +
                           " cols=[" + std::to_string(c.col0) + "," + std::to_string(c.col1) +
                           ") beta=" + std::to_string(beta);
  for (int64_t r = 0; r < c.m; ++r) {
    for (int64_t o = 0; o < c.out; ++o) {
      const auto at = static_cast<size_t>(r * ldy + o);
      if (o < c.col0 || o >= c.col1) {  // outside the range: untouched
        ASSERT_EQ(y[at], y0[at]) << what << " row " << r << " column " << o;
        continue;
      }
      double sum = 0, magnitude = 0;
      for (int64_t i = 0; i < c.in; ++i) {
        const float xi = x[static_cast<size_t>(r * ldx + i)];
        const double p = (rounded ? round_bf16(xi) : xi) * weight_value(w, o, i);
        sum += p;
        magnitude += std::fabs(p);
      }
      const double scale = weight_scale(w, o);
      const double base = beta == 0.0f ? 0.0 : static_cast<double>(beta) * y0[at];
      const double want = base + scale * sum;
      const double bound =
          (static_cast<double>(c.in) + 2) * 0x1p-24 * (scale * magnitude + std::fabs(base)) + 1e-30;
      ASSERT_NEAR(y[at], want, bound) << what << " row " << r << " column " << o;
    }
  }
}

// 1 row, a 14-row tile and one more, 77 (a text), 530 (past the 512-row block); columns not a
// multiple of the 32-column panel, and a sub-range as a thread of linear() takes; inputs odd, a
// pair short of 256 and past one 256-input block.
TEST(Bf16Product, MatchesItsDefinitionOnOddShapes) {
  if (!have_bf16()) GTEST_SKIP() << "this CPU has no AVX512_BF16: the BF16 kernel cannot run";
  const Case cases[] = {{1, 1, 1, 0, 1},       {1, 33, 7, 0, 33},     {14, 32, 256, 0, 32},
                        {15, 50, 255, 0, 50},  {17, 63, 600, 16, 63}, {77, 100, 48, 0, 100},
                        {530, 40, 257, 0, 40}, {64, 96, 770, 32, 80}, {3, 17, 2, 1, 17}};
  for (const Case& c : cases) {
    for (WeightType type : {WeightType::kBF16, WeightType::kInt8}) {
      for (float beta : {0.0f, 1.0f, 0.5f}) expect_kernel_matches_definition(c, type, beta);
    }
  }
}

// The same definition for BF16 weights packed at load: many rows in BF16 arithmetic, at most
// kSkinnyMaxRows in float32 (activations not rounded); column ranges start on a 32-column panel
// as linear() splits them.
TEST(Bf16Product, PackedWeightsMatchTheDefinitionOnOddShapes) {
  if (!have_bf16()) GTEST_SKIP() << "this CPU has no AVX512_BF16: the BF16 kernel cannot run";
  const Case cases[] = {{1, 1, 1, 0, 1},       {1, 33, 7, 0, 33},     {14, 32, 256, 0, 32},
                        {15, 50, 255, 0, 50},  {16, 65, 513, 32, 65}, {17, 63, 600, 32, 63},
                        {77, 100, 48, 0, 100}, {530, 40, 257, 0, 40}, {64, 96, 770, 32, 80},
                        {3, 17, 2, 0, 17},     {9, 70, 3, 64, 70}};
  for (const Case& c : cases) {
    for (float beta : {0.0f, 1.0f, 0.5f}) {
      expect_kernel_matches_definition(c, WeightType::kBF16, beta, Kernel::kPacked);
    }
  }
}

// The packing holds the matrix's values (at() reads them back), replaces the [out, in] copy, and
// linear() / linear_single() / weight_row() on it give what they give on the unpacked matrix
// where both run the same arithmetic (a product of many rows: BF16 either way).
TEST(Bf16Product, PackedMatrixHoldsTheSameWeights) {
  const int64_t out = 45, in = 37, m = 40;
  const std::vector<float> data = random_floats(static_cast<size_t>(out * in), 7);
  const WeightMatrix w = WeightMatrix::convert(
      WeightMatrix::f32(data.data(), out, in, WeightLayout::kOutIn), WeightType::kBF16);
  const WeightMatrix packed = WeightMatrix::bf16_products(w);
  ASSERT_NE(packed.bf16_packed(), nullptr);
  EXPECT_EQ(packed.u16_data(), nullptr);
  EXPECT_EQ(packed.bytes(), 2 * 32 * ((in + 1) / 2) * 4);  // two panels of 19 pairs
  for (int64_t o = 0; o < out; ++o) {
    for (int64_t i = 0; i < in; ++i) ASSERT_EQ(packed.at(o, i), w.at(o, i)) << o << "," << i;
  }
  std::vector<float> row_packed(in), row(in);
  weight_row(packed, 44, row_packed.data());
  weight_row(w, 44, row.data());
  EXPECT_EQ(row_packed, row);
  if (!have_bf16() || isa_active() != Isa::kAvx512Bf16) {
    std::printf("BF16 arithmetic not active here: the packed products were not run\n");
    return;
  }
  EXPECT_TRUE(bf16_products_packed());
  const std::vector<float> x = random_floats(static_cast<size_t>(m * in), 8);
  std::vector<float> y(static_cast<size_t>(m * out)), y_packed(y.size());
  linear(m, x.data(), in, w, 0.0f, y.data(), out);
  linear(m, x.data(), in, packed, 0.0f, y_packed.data(), out);
  EXPECT_EQ(y_packed, y);
  linear_single(m, x.data(), in, packed, 0.0f, y_packed.data(), out);
  EXPECT_EQ(y_packed, y);
}

// The activations are rounded to nearest, ties to even, exactly as f32_to_bf16 does (one input,
// weight 1, so the output is the rounded activation itself).
TEST(Bf16Product, RoundsActivationsToNearestEven) {
  if (!have_bf16()) GTEST_SKIP() << "this CPU has no AVX512_BF16: the BF16 kernel cannot run";
  const float one = 1.0f;
  const WeightMatrix w =
      WeightMatrix::convert(WeightMatrix::f32(&one, 1, 1, WeightLayout::kOutIn), WeightType::kBF16);
  const float inputs[] = {1.0f + 0x1p-8f,             // halfway: even is 1
                          1.0f + 3 * 0x1p-8f,         // halfway, odd below: up
                          1.0f + 0x1p-8f + 0x1p-20f,  // above halfway: up
                          -(1.0f + 0x1p-9f),
                          65504.25f,  // below halfway: down
                          0.0f};
  for (float v : inputs) {
    float y = 123.0f;
    weight_kernels(Isa::kAvx512Bf16).bf16(1, &v, 1, w, 0, 1, 0.0f, &y, 1);
    EXPECT_EQ(y, round_bf16(v)) << v;
  }
}

// linear() takes the BF16 arithmetic exactly where rounds_activations_to_bf16 says: many rows
// of BF16 or int8 weights at the BF16 level; few rows, F16, and every lower level stay float32.
TEST(Bf16Product, ChosenForManyRowsOfBf16AndInt8AtTheBf16LevelOnly) {
  for (Isa isa : kIsaLevels) {
    if (!isa_at_least(isa_supported(), isa)) continue;
    const WeightKernels& k = weight_kernels(isa);
    const bool level = isa == Isa::kAvx512Bf16;
    EXPECT_EQ(rounds_activations_to_bf16(k, WeightType::kBF16, 17), level) << isa_name(isa);
    EXPECT_EQ(rounds_activations_to_bf16(k, WeightType::kInt8, 1600), level) << isa_name(isa);
    EXPECT_FALSE(rounds_activations_to_bf16(k, WeightType::kBF16, 16)) << isa_name(isa);
    EXPECT_FALSE(rounds_activations_to_bf16(k, WeightType::kF16, 1600)) << isa_name(isa);
    EXPECT_FALSE(rounds_activations_to_bf16(k, WeightType::kF32, 1600)) << isa_name(isa);
  }
  if (!have_bf16())
    std::printf("this CPU has no AVX512_BF16: only the lower levels were checked\n");
}

}  // namespace
}  // namespace clipsearch
