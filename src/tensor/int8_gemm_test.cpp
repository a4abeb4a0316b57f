// The int8 x int8 products of `--precision int8-dynamic`: the packing, the activations'
// quantization, and the products of every int8 level this machine has (plus the forced lower
// ones) against a plain reference: int32 sums from the unpacked weights, dequantized by the
// formula of int8_gemm.h, equal bit for bit (so the integer sums are exact) on odd shapes.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "clipsearch/threads.h"
#include "tensor/int8_gemm.h"
#include "tensor/weight_linear.h"

namespace clipsearch {
namespace {

using int8_internal::int8_kernels;

std::vector<float> uniform_floats(size_t n, uint32_t seed, float range) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> uniform(-range, range);
  std::vector<float> v(n);
  for (float& x : v) x = uniform(rng);
  return v;
}

// Every int8 level this machine runs, lowest first (vnni only where the CPU has it).
std::vector<Int8Level> int8_levels() {
  std::vector<Int8Level> levels = {Int8Level::kScalar};
  for (Isa isa : {Isa::kAvx2, Isa::kAvx512}) {
    if (!isa_at_least(isa_supported(), isa)) continue;
    if (int8_level(isa) != levels.back()) levels.push_back(int8_level(isa));
  }
  return levels;
}

uint32_t bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

// An int8 weight-only matrix of random values, as `--precision int8` converts it.
WeightMatrix random_int8(int64_t out, int64_t in, uint32_t seed) {
  const std::vector<float> data = uniform_floats(static_cast<size_t>(out * in), seed, 0.1f);
  return WeightMatrix::convert(WeightMatrix::f32(data.data(), out, in, WeightLayout::kOutIn),
                               WeightType::kInt8);
}

// The formula of int8_gemm.h from the unpacked weights: rows quantized by the scalar kernel,
// sums in int64 (checked to fit int32), then int8_dequantize_scalar.
std::vector<float> reference(int64_t m, const std::vector<float>& x, int64_t ldx,
                             const WeightMatrix& w, float beta, std::vector<float> y, int64_t ldy) {
  const int64_t depth = (w.in() + 3) / 4 * 4;
  std::vector<int8_t> q(static_cast<size_t>(depth));
  std::vector<int32_t> sums(static_cast<size_t>(w.out()));
  for (int64_t r = 0; r < m; ++r) {
    const float scale = int8_kernels(Int8Level::kScalar)
                            .quantize(x.data() + r * ldx, w.in(), depth, false, q.data());
    for (int64_t o = 0; o < w.out(); ++o) {
      int64_t sum = 0;
      for (int64_t i = 0; i < w.in(); ++i) sum += q[i] * w.i8_data()[o * w.in() + i];
      EXPECT_EQ(sum, static_cast<int32_t>(sum));
      sums[static_cast<size_t>(o)] = static_cast<int32_t>(sum);
    }
    int8_internal::int8_dequantize_scalar(sums.data(), w.out(), scale, w.scales(), beta,
                                          y.data() + r * ldy);
  }
  return y;
}

void expect_same_bits(const std::vector<float>& got, const std::vector<float>& want,
                      const std::string& what) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(bits(got[i]), bits(want[i]))
        << what << " at " << i << ": " << got[i] << " vs " << want[i];
  }
}

// One level's product on rows quantized by that level's own quantization.
std::vector<float> level_product(Int8Level level, int64_t m, const std::vector<float>& x,
                                 int64_t ldx, const Int8Packed& p, float beta, std::vector<float> y,
                                 int64_t ldy) {
  const int8_internal::Int8Kernels& k = int8_kernels(level);
  std::vector<int8_t> q(static_cast<size_t>(m * p.depth));
  std::vector<float> scales(static_cast<size_t>(m));
  for (int64_t r = 0; r < m; ++r) {
    scales[static_cast<size_t>(r)] = k.quantize(x.data() + r * ldx, p.in, p.depth,
                                                k.unsigned_activations, q.data() + r * p.depth);
  }
  k.product(p, m, q.data(), p.depth, scales.data(), 0, p.blocks, beta, y.data(), ldy);
  return y;
}

struct Shape {
  int64_t m, out, in;
};

// 1 row, 77 (a full text), 50 (one ViT-B/32 image), channels not a multiple of the 16-channel
// block or of the 4-block tile, inputs not a multiple of 4 or of a SIMD width, deep enough
// (3072, fc2's) for sums near the int32 range of the vnni surplus.
const Shape kShapes[] = {{1, 1, 1},    {1, 16, 4},     {1, 17, 5},   {3, 65, 33},
                         {7, 64, 768}, {50, 100, 131}, {77, 33, 70}, {13, 130, 3072}};

TEST(Int8Gemm, EveryLevelEqualsTheReferenceBitForBit) {
  std::printf("int8 levels tested:");
  for (Int8Level level : int8_levels()) std::printf(" %s", int8_level_name(level));
  std::printf(" (active: %s)\n", int8_level_name(int8_level_active()));
  for (const Shape& s : kShapes) {
    const int64_t ldx = s.in + 3, ldy = s.out + 1;
    const std::vector<float> x = uniform_floats(static_cast<size_t>(s.m * ldx), 31, 2.0f);
    const WeightMatrix w = random_int8(s.out, s.in, 32);
    const Int8Packed p = int8_pack(w.i8_data(), w.scales(), s.out, s.in);
    for (float beta : {0.0f, 1.0f, 0.5f}) {
      // beta 0 never reads y: start from NaNs there.
      const std::vector<float> y0 =
          beta == 0.0f ? std::vector<float>(static_cast<size_t>(s.m * ldy), std::nanf(""))
                       : uniform_floats(static_cast<size_t>(s.m * ldy), 33, 1.0f);
      const std::vector<float> want = reference(s.m, x, ldx, w, beta, y0, ldy);
      for (Int8Level level : int8_levels()) {
        const std::string what = std::string(int8_level_name(level)) + " m=" + std::to_string(s.m) +
                                 " out=" + std::to_string(s.out) + " in=" + std::to_string(s.in) +
                                 " beta=" + std::to_string(beta);
        expect_same_bits(level_product(level, s.m, x, ldx, p, beta, y0, ldy), want, what);
      }
    }
  }
}

// Rows of extreme magnitudes: sums of 127 * 127 over 3072 inputs (49.5 million, the int32 range
// the vnni surplus of 128 * column sum must not leave), all-zero rows (scale 0), one spike.
TEST(Int8Gemm, ExtremeRowsAndWeightsStayExact) {
  const int64_t m = 9, out = 40, in = 3072;
  std::vector<float> x(static_cast<size_t>(m * in), 1.0f);  // row 0: every q = 127
  for (int64_t i = 0; i < in; ++i) {
    x[static_cast<size_t>(in + i)] = -1.0f;                      // row 1: every q = -127
    x[static_cast<size_t>(2 * in + i)] = 0.0f;                   // row 2: zeros
    x[static_cast<size_t>(3 * in + i)] = i == 7 ? 1e30f : 1.0f;  // row 3: one spike
    for (int64_t r = 4; r < m; ++r) x[static_cast<size_t>(r * in + i)] = (i % 2 ? 1.0f : -1.0f);
  }
  std::vector<float> data(static_cast<size_t>(out * in), 0.5f);
  for (int64_t i = 0; i < in; ++i) data[static_cast<size_t>(in + i)] = -0.5f;  // channel 1
  const WeightMatrix w = WeightMatrix::convert(
      WeightMatrix::f32(data.data(), out, in, WeightLayout::kOutIn), WeightType::kInt8);
  const Int8Packed p = int8_pack(w.i8_data(), w.scales(), out, in);
  const std::vector<float> y0(static_cast<size_t>(m * out), 0.0f);
  const std::vector<float> want = reference(m, x, in, w, 0.0f, y0, out);
  EXPECT_FLOAT_EQ(want[0], 0.5f * in);  // 127 * 127 * 3072 dequantized: the exact product
  EXPECT_FLOAT_EQ(want[static_cast<size_t>(out + 1)], 0.5f * in);
  EXPECT_EQ(want[static_cast<size_t>(2 * out)], 0.0f);
  for (Int8Level level : int8_levels()) {
    expect_same_bits(level_product(level, m, x, in, p, 0.0f, y0, out), want,
                     int8_level_name(level));
  }
}

TEST(Int8Gemm, QuantizationIsTheSameOnEveryLevel) {
  for (int64_t in : {int64_t{1}, int64_t{31}, int64_t{32}, int64_t{77}, int64_t{768}}) {
    const int64_t depth = (in + 3) / 4 * 4;
    std::vector<float> x = uniform_floats(static_cast<size_t>(in), 41, 3.0f);
    std::vector<int8_t> want(static_cast<size_t>(depth)), got(want.size());
    for (bool to_unsigned : {false, true}) {
      const float scale =
          int8_kernels(Int8Level::kScalar).quantize(x.data(), in, depth, to_unsigned, want.data());
      for (Int8Level level : int8_levels()) {
        std::fill(got.begin(), got.end(), int8_t{99});
        EXPECT_EQ(bits(int8_kernels(level).quantize(x.data(), in, depth, to_unsigned, got.data())),
                  bits(scale));
        EXPECT_EQ(got, want) << int8_level_name(level) << " in=" << in;
      }
    }
  }
  // The largest magnitude maps to 127, halves round to even, padding is q = 0.
  const float row[] = {2.0f, 1.0f, -1.0f, 0.0f, -2.0f};
  std::vector<int8_t> q(8);
  const float scale = int8_kernels(Int8Level::kScalar).quantize(row, 5, 8, false, q.data());
  EXPECT_FLOAT_EQ(scale, 2.0f / 127);
  EXPECT_EQ(q, (std::vector<int8_t>{127, 64, -64, 0, -127, 0, 0, 0}));  // 63.5 -> 64
  int8_kernels(Int8Level::kScalar).quantize(row, 5, 8, true, q.data());
  EXPECT_EQ(static_cast<uint8_t>(q[0]), 255);
  EXPECT_EQ(static_cast<uint8_t>(q[5]), 128);
}

TEST(Int8Gemm, PackingKeepsEveryWeightAndItsColumnSum) {
  const WeightMatrix w = random_int8(37, 29, 51);
  const Int8Packed p = int8_pack(w.i8_data(), w.scales(), 37, 29);
  ASSERT_EQ(p.depth, 32);
  ASSERT_EQ(p.blocks, 3);
  for (int64_t o = 0; o < 48; ++o) {
    int32_t sum = 0;
    for (int64_t i = 0; i < 32; ++i) {
      const int8_t want = o < 37 && i < 29 ? w.i8_data()[o * 29 + i] : 0;
      ASSERT_EQ(p.at(o, i), want) << o << " " << i;
      sum += want;
    }
    EXPECT_EQ(p.column_sums[static_cast<size_t>(o)], sum);
    EXPECT_EQ(p.scales[static_cast<size_t>(o)], o < 37 ? w.scales()[o] : 0.0f);
  }
  const WeightMatrix packed = WeightMatrix::int8_products(w);
  EXPECT_EQ(packed.i8_data(), nullptr);  // no [out, in] copy kept
  EXPECT_EQ(packed.bytes(), 48 * 32 + 2 * 48 * 4);
  std::vector<float> row(29);
  weight_row(packed, 5, row.data());
  for (int64_t i = 0; i < 29; ++i) EXPECT_EQ(row[static_cast<size_t>(i)], w.at(5, i));
}

// linear() and linear_single() on a matrix packed by WeightMatrix::int8_products run the active
// level, threaded by rows (m >= 32 per thread) or by channels: the reference, bit for bit; and
// the result is close to the float32 product (the quantization's error, 1/254 of a row's
// largest value per activation).
TEST(Int8Gemm, LinearThreadedOrNotEqualsTheReference) {
  const int before = num_threads();
  for (int threads : {1, 3}) {
    set_num_threads(threads);
    for (const Shape& s : {Shape{1, 70, 90}, Shape{40, 130, 100}, Shape{200, 48, 257}}) {
      const std::vector<float> x = uniform_floats(static_cast<size_t>(s.m * s.in), 61, 1.0f);
      const WeightMatrix w = random_int8(s.out, s.in, 62);
      const WeightMatrix packed = WeightMatrix::int8_products(w);
      const std::vector<float> y0 = uniform_floats(static_cast<size_t>(s.m * s.out), 63, 1.0f);
      const std::vector<float> want = reference(s.m, x, s.in, w, 1.0f, y0, s.out);
      std::vector<float> y = y0;
      linear(s.m, x.data(), s.in, packed, 1.0f, y.data(), s.out);
      expect_same_bits(y, want, "linear, threads " + std::to_string(threads));
      y = y0;
      linear_single(s.m, x.data(), s.in, packed, 1.0f, y.data(), s.out);
      expect_same_bits(y, want, "linear_single");
      std::vector<float> weight_only = y0;
      linear(s.m, x.data(), s.in, w, 1.0f, weight_only.data(), s.out);
      for (size_t i = 0; i < y.size(); ++i) {
        ASSERT_NEAR(y[i], weight_only[i], 0.01 * std::sqrt(static_cast<double>(s.in))) << i;
      }
    }
  }
  set_num_threads(before);
}

TEST(Int8Gemm, LevelsFollowTheIsaCap) {
  EXPECT_EQ(int8_level(Isa::kScalar), Int8Level::kScalar);
  EXPECT_EQ(int8_level(Isa::kAvx2), Int8Level::kAvx2);
  EXPECT_NE(int8_level(Isa::kAvx512), Int8Level::kScalar);
  EXPECT_STREQ(int8_level_name(Int8Level::kVnni), "avx512vnni");
}

}  // namespace
}  // namespace clipsearch
