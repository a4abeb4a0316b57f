// Reduced-precision weights: the float <-> half conversions, the quantization at load, the panel
// conversion kernels of every ISA level this machine has (equal to the scalar ones bit for bit),
// and the products on odd shapes against a double-precision reference.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "clipsearch/threads.h"
#include "core/half.h"
#include "tensor/weight_kernels.h"
#include "tensor/weight_linear.h"

namespace clipsearch {
namespace {

std::vector<float> random_floats(size_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, scale);
  std::vector<float> v(n);
  for (float& x : v) x = normal(rng);
  return v;
}

std::vector<Isa> supported_levels() {
  std::vector<Isa> levels;
  for (Isa isa : kIsaLevels) {
    if (isa_at_least(isa_supported(), isa)) levels.push_back(isa);
  }
  return levels;
}

constexpr WeightType kReduced[] = {WeightType::kBF16, WeightType::kF16, WeightType::kInt8};

uint32_t bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

float from_bits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

TEST(HalfRounding, EveryF16AndBf16ValueRoundTrips) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const auto v = static_cast<uint16_t>(h);
    if ((h & 0x7c00) != 0x7c00 || (h & 0x3ff) == 0) {  // NaNs come back quiet, not equal
      ASSERT_EQ(f32_to_f16(f16_to_f32(v)), v) << std::hex << h;
    }
    if ((h & 0x7f80) != 0x7f80 || (h & 0x7f) == 0) {
      ASSERT_EQ(f32_to_bf16(bf16_to_f32(v)), v) << std::hex << h;
    }
  }
}

TEST(HalfRounding, NearestTiesToEvenOverflowAndNan) {
  // F16: 1 + 2^-11 is halfway between 1 and the next half (1 + 2^-10): even is 1.
  EXPECT_EQ(f32_to_f16(1.0f + std::ldexp(1.0f, -11)), 0x3c00);
  EXPECT_EQ(f32_to_f16(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3c02);  // halfway, odd -> up
  EXPECT_EQ(f32_to_f16(1.0f + std::ldexp(1.0f, -11) + std::ldexp(1.0f, -20)), 0x3c01);
  EXPECT_EQ(f32_to_f16(65504.0f), 0x7bff);
  EXPECT_EQ(f32_to_f16(65519.0f), 0x7bff);
  EXPECT_EQ(f32_to_f16(65520.0f), 0x7c00);  // halfway to 65536: rounds to infinity
  EXPECT_EQ(f32_to_f16(-1e9f), 0xfc00);
  EXPECT_EQ(f32_to_f16(std::ldexp(1.0f, -24)), 0x0001);     // smallest subnormal
  EXPECT_EQ(f32_to_f16(std::ldexp(1.0f, -25)), 0x0000);     // half of it: tie to even (zero)
  EXPECT_EQ(f32_to_f16(std::ldexp(1.5f, -25)), 0x0001);     // above half: up
  EXPECT_EQ(f32_to_f16(std::ldexp(3.0f, -25)), 0x0002);     // 1.5 subnormal steps: tie to even
  EXPECT_EQ(f32_to_f16(std::ldexp(1023.5f, -24)), 0x0400);  // carries into the smallest normal
  EXPECT_EQ(f32_to_f16(-0.0f), 0x8000);
  EXPECT_TRUE(std::isnan(f16_to_f32(f32_to_f16(std::nanf("")))));
  // BF16: 1 + 2^-8 is halfway between 1 and 1 + 2^-7.
  EXPECT_EQ(f32_to_bf16(1.0f + std::ldexp(1.0f, -8)), 0x3f80);
  EXPECT_EQ(f32_to_bf16(1.0f + 3 * std::ldexp(1.0f, -8)), 0x3f82);
  EXPECT_EQ(f32_to_bf16(from_bits(0x3f808001)), 0x3f81);
  EXPECT_EQ(f32_to_bf16(from_bits(0x7f7fffff)), 0x7f80);  // largest float rounds to infinity
  EXPECT_TRUE(std::isnan(bf16_to_f32(f32_to_bf16(from_bits(0x7f800001)))));
}

TEST(WeightMatrix, ConversionsRoundEveryValueAndQuantizePerRow) {
  const int64_t out = 37, in = 53;
  std::vector<float> data = random_floats(static_cast<size_t>(out * in), 3, 0.02f);
  for (int64_t i = 0; i < in; ++i) data[static_cast<size_t>(5 * in + i)] = 0.0f;  // a zero row
  const WeightMatrix f32 = WeightMatrix::f32(data.data(), out, in, WeightLayout::kOutIn);
  const WeightMatrix bf16 = WeightMatrix::convert(f32, WeightType::kBF16);
  const WeightMatrix f16 = WeightMatrix::convert(f32, WeightType::kF16);
  const WeightMatrix int8 = WeightMatrix::convert(f32, WeightType::kInt8);
  EXPECT_EQ(bf16.bytes(), out * in * 2);
  EXPECT_EQ(int8.bytes(), out * in + out * 4);
  for (int64_t o = 0; o < out; ++o) {
    float max_abs = 0;
    for (int64_t i = 0; i < in; ++i) max_abs = std::max(max_abs, std::fabs(f32.at(o, i)));
    EXPECT_FLOAT_EQ(int8.scales()[o], max_abs / 127.0f);
    for (int64_t i = 0; i < in; ++i) {
      const float v = f32.at(o, i);
      ASSERT_EQ(bf16.at(o, i), bf16_to_f32(f32_to_bf16(v)));
      ASSERT_EQ(f16.at(o, i), f16_to_f32(f32_to_f16(v)));
      ASSERT_LE(std::fabs(int8.at(o, i) - v), int8.scales()[o] * 0.5f * 1.0001f) << o << " " << i;
      const float scale = int8.scales()[o];
      ASSERT_EQ(int8.i8_data()[o * in + i], scale == 0 ? 0 : std::nearbyint(v / scale));
    }
  }
  // The same matrix stored [in, out] (open_clip's projections) converts to the same values.
  std::vector<float> transposed(data.size());
  for (int64_t o = 0; o < out; ++o) {
    for (int64_t i = 0; i < in; ++i) {
      transposed[static_cast<size_t>(i * out + o)] = data[static_cast<size_t>(o * in + i)];
    }
  }
  const WeightMatrix t = WeightMatrix::f32(transposed.data(), out, in, WeightLayout::kInOut);
  for (WeightType type : kReduced) {
    const WeightMatrix a = WeightMatrix::convert(f32, type), b = WeightMatrix::convert(t, type);
    for (int64_t o = 0; o < out; ++o) {
      for (int64_t i = 0; i < in; ++i) ASSERT_EQ(bits(a.at(o, i)), bits(b.at(o, i)));
    }
  }
}

// Panels of odd sizes at odd offsets: every level writes what the scalar kernel writes.
TEST(WeightKernels, EveryLevelConvertsPanelsAsTheScalarKernelBitForBit) {
  const int64_t out = 80, in = 203;
  const std::vector<float> data = random_floats(static_cast<size_t>(out * in), 7, 0.5f);
  const WeightMatrix f32 = WeightMatrix::f32(data.data(), out, in, WeightLayout::kOutIn);
  const WeightKernels& scalar = weight_kernels(Isa::kScalar);
  for (WeightType type : kReduced) {
    const WeightMatrix w = WeightMatrix::convert(f32, type);
    for (Isa isa : supported_levels()) {
      SCOPED_TRACE(std::string(weight_type_name(type)) + " at " + isa_name(isa));
      for (int64_t rows : {1, 3, 77}) {
        for (int64_t col0 : {0, 5}) {
          for (int64_t cols : {1, 7, 8, 9, 16, 17, 33, 198}) {
            const int64_t ld = cols + 3;
            std::vector<float> want(static_cast<size_t>(rows * ld), -1.0f), got = want;
            scalar.to_f32(w, 2, rows, col0, cols, want.data(), ld);
            weight_kernels(isa).to_f32(w, 2, rows, col0, cols, got.data(), ld);
            for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(bits(got[i]), bits(want[i])) << i;
            for (int64_t r = 0; r < rows; ++r) {
              for (int64_t t = 0; t < cols; ++t) {
                ASSERT_EQ(bits(want[static_cast<size_t>(r * ld + t)]), bits(w.at(2 + r, col0 + t)));
              }
            }
          }
        }
      }
    }
  }
}

// y = beta * y + x W^T with W's float32 values (WeightMatrix::at), in double; with
// `bf16_activations`, x rounded to BF16 first (what the BF16 arithmetic multiplies).
std::vector<float> reference_product(int64_t m, const std::vector<float>& x, int64_t ldx,
                                     const WeightMatrix& w, float beta, std::vector<float> y,
                                     int64_t ldy, std::vector<double>* magnitude,
                                     bool bf16_activations) {
  magnitude->assign(y.size(), 0.0);
  for (int64_t r = 0; r < m; ++r) {
    for (int64_t o = 0; o < w.out(); ++o) {
      double s = 0, mag = 0;
      for (int64_t i = 0; i < w.in(); ++i) {
        const float xi = x[static_cast<size_t>(r * ldx + i)];
        const float v = bf16_activations ? bf16_to_f32(f32_to_bf16(xi)) : xi;
        const double p = static_cast<double>(v) * w.at(o, i);
        s += p;
        mag += std::fabs(p);
      }
      const auto at = static_cast<size_t>(r * ldy + o);
      y[at] = static_cast<float>(beta * y[at] + s);
      (*magnitude)[at] = mag + std::fabs(beta * y[at]);
    }
  }
  return y;
}

void expect_product_close(const std::vector<float>& got, const std::vector<float>& want,
                          const std::vector<double>& magnitude, const std::string& what) {
  for (size_t i = 0; i < got.size(); ++i) {
    // float32 accumulation over up to ~1100 terms: a few ulps of the sum of magnitudes.
    ASSERT_NEAR(got[i], want[i], 2e-6 * magnitude[i] + 1e-30) << what << " at " << i;
  }
}

struct Shape {
  int64_t m, out, in;
};

// 1 row (a batch-1 projection), 16/17 (either side of the skinny kernel), 77 (a full text),
// output and input sizes that are not multiples of the panel (64 x 512) or of a SIMD width.
const Shape kShapes[] = {{1, 1, 1},      {1, 65, 7},    {2, 130, 513},  {16, 64, 512},
                         {17, 63, 1100}, {77, 100, 48}, {100, 129, 600}};

TEST(WeightLinear, EveryTypeAndLevelMatchesTheReferenceOnOddShapes) {
  for (const Shape& s : kShapes) {
    const int64_t ldx = s.in + 2, ldy = s.out + 3;
    const std::vector<float> x = random_floats(static_cast<size_t>(s.m * ldx), 11);
    const std::vector<float> data = random_floats(static_cast<size_t>(s.out * s.in), 12, 0.05f);
    const WeightMatrix f32 = WeightMatrix::f32(data.data(), s.out, s.in, WeightLayout::kOutIn);
    for (WeightType type : kReduced) {
      const WeightMatrix w = WeightMatrix::convert(f32, type);
      for (float beta : {0.0f, 1.0f, 0.5f}) {
        const std::vector<float> y0 = random_floats(static_cast<size_t>(s.m * ldy), 13);
        std::vector<double> magnitude;
        // The arithmetic of `isa`: BF16 products round the activations, float32 ones do not.
        auto want_at = [&](Isa isa) {
          const bool bf16 = rounds_activations_to_bf16(weight_kernels(isa), type, s.m);
          return reference_product(s.m, x, ldx, w, beta, y0, ldy, &magnitude, bf16);
        };
        const std::string what = std::string(weight_type_name(type)) + " m=" + std::to_string(s.m) +
                                 " out=" + std::to_string(s.out) + " in=" + std::to_string(s.in) +
                                 " beta=" + std::to_string(beta);
        std::vector<float> want = want_at(isa_active());
        std::vector<float> y = y0;
        linear(s.m, x.data(), ldx, w, beta, y.data(), ldy);
        expect_product_close(y, want, magnitude, what + " linear");
        y = y0;
        linear_single(s.m, x.data(), ldx, w, beta, y.data(), ldy);
        expect_product_close(y, want, magnitude, what + " linear_single");
        for (Isa isa : supported_levels()) {
          want = want_at(isa);
          y = y0;
          weight_product(weight_kernels(isa), s.m, x.data(), ldx, w, 0, s.out, beta, y.data(), ldy);
          expect_product_close(y, want, magnitude, what + " at " + isa_name(isa));
        }
      }
    }
  }
}

// A float32 WeightMatrix is the old path: linear() on it equals gemm.h's linear() bit for bit,
// in both layouts, threaded or not.
TEST(WeightLinear, Float32IsTheUnchangedSgemmPath) {
  const int64_t m = 33, out = 70, in = 90;
  const std::vector<float> x = random_floats(static_cast<size_t>(m * in), 21);
  const std::vector<float> data = random_floats(static_cast<size_t>(out * in), 22);
  for (WeightLayout layout : {WeightLayout::kOutIn, WeightLayout::kInOut}) {
    const WeightMatrix w = WeightMatrix::f32(data.data(), out, in, layout);
    std::vector<float> want(static_cast<size_t>(m * out)), got(want.size());
    linear(m, out, in, x.data(), in, data.data(), layout, 0.0f, want.data(), out);
    linear(m, x.data(), in, w, 0.0f, got.data(), out);
    for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(bits(got[i]), bits(want[i]));
  }
}

// A view of converted storage (a quantized folder's tensors) reads as the matrix it was made from,
// and weight_row (the token embedding's lookup) gives each row as at() does, for every type.
TEST(WeightRow, ViewsAndEveryTypeReadBackAsAt) {
  const int64_t out = 37, in = 29;
  const std::vector<float> data = random_floats(static_cast<size_t>(out * in), 11);
  const WeightMatrix source = WeightMatrix::f32(data.data(), out, in, WeightLayout::kOutIn);
  std::vector<float> row(static_cast<size_t>(in));
  for (int64_t o : {int64_t{0}, int64_t{17}, out - 1}) {
    weight_row(source, o, row.data());
    for (int64_t i = 0; i < in; ++i) ASSERT_EQ(row[static_cast<size_t>(i)], source.at(o, i));
  }
  for (WeightType type : kReduced) {
    const WeightMatrix owned = WeightMatrix::convert(source, type);
    const void* storage = type == WeightType::kInt8 ? static_cast<const void*>(owned.i8_data())
                                                    : static_cast<const void*>(owned.u16_data());
    const WeightMatrix view = WeightMatrix::view(
        type, storage, type == WeightType::kInt8 ? owned.scales() : nullptr, out, in);
    const WeightMatrix copy = owned;  // a copy reads its own storage
    for (int64_t o = 0; o < out; ++o) {
      weight_row(view, o, row.data());
      for (int64_t i = 0; i < in; ++i) {
        ASSERT_EQ(view.at(o, i), owned.at(o, i)) << weight_type_name(type);
        ASSERT_EQ(copy.at(o, i), owned.at(o, i)) << weight_type_name(type);
        ASSERT_EQ(row[static_cast<size_t>(i)], owned.at(o, i)) << weight_type_name(type);
      }
    }
  }
}

}  // namespace
}  // namespace clipsearch
