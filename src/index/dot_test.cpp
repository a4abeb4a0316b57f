// The scoring kernel: dot.h's summation order written out here as the specification, every ISA
// level this machine has equal to it bit for bit, from every entry point and block shape.
#include "index/dot.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "core/half.h"
#include "index/dot_kernels.h"

namespace clipsearch {
namespace {

// dot.h's order, written independently of the kernels.
float specified_dot(const float* a, const float* b, int64_t dim) {
  float lane[16] = {};
  for (int64_t i = 0; i < dim; ++i) lane[i % 16] = std::fma(a[i], b[i], lane[i % 16]);
  for (int step = 8; step >= 1; step /= 2) {
    for (int j = 0; j < step; ++j) lane[j] = lane[j] + lane[j + step];
  }
  return lane[0];
}

// dot.h's F16 order, written independently of the kernels.
float specified_f16_dot(const float* q, const uint16_t* r, int64_t dim) {
  float lane[64] = {};
  for (int64_t i = 0; i < dim; ++i) lane[i % 64] = std::fma(q[i], f16_to_f32(r[i]), lane[i % 64]);
  for (int j = 0; j < 16; ++j) lane[j] = (lane[j] + lane[j + 16]) + (lane[j + 32] + lane[j + 48]);
  for (int step = 8; step >= 1; step /= 2) {
    for (int j = 0; j < step; ++j) lane[j] = lane[j] + lane[j + step];
  }
  return lane[0];
}

std::vector<float> random_floats(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal;
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

uint32_t bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

TEST(Dot, EveryLevelFollowsTheSpecifiedOrderBitForBit) {
  for (Isa isa : supported_levels()) {
    SCOPED_TRACE(isa_name(isa));
    const DotKernels& k = dot_kernels(isa);
    for (int64_t dim : {1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 100, 511, 512, 768, 1024}) {
      const std::vector<float> a = random_floats(static_cast<size_t>(dim), 1 + dim);
      const std::vector<float> b = random_floats(static_cast<size_t>(dim), 1000 + dim);
      EXPECT_EQ(bits(k.dot(a.data(), b.data(), dim)), bits(specified_dot(a.data(), b.data(), dim)))
          << "dim " << dim;
    }
  }
}

// Every query x row pair of a matrix call, whatever block of the tiling it falls in (full
// blocks, leftover rows and queries, several row tiles), equals the pair scored alone.
TEST(Dot, MatrixAndRowsEqualSinglePairsAtEveryLevel) {
  for (Isa isa : supported_levels()) {
    SCOPED_TRACE(isa_name(isa));
    const DotKernels& k = dot_kernels(isa);
    for (int64_t dim : {5, 16, 40, 512}) {
      const int64_t queries = 7, rows = 301, ld = rows + 3;
      const std::vector<float> q = random_floats(static_cast<size_t>(queries * dim), 5);
      const std::vector<float> r = random_floats(static_cast<size_t>(rows * dim), 6);
      std::vector<float> out(static_cast<size_t>(queries * ld), -7.0f);
      k.matrix(q.data(), queries, r.data(), rows, dim, out.data(), ld);
      for (int64_t i = 0; i < queries; ++i) {
        for (int64_t j = 0; j < rows; ++j) {
          ASSERT_EQ(bits(out[i * ld + j]),
                    bits(specified_dot(q.data() + i * dim, r.data() + j * dim, dim)))
              << "dim " << dim << " query " << i << " row " << j;
        }
        for (int64_t j = rows; j < ld; ++j) ASSERT_EQ(out[i * ld + j], -7.0f) << "wrote past ld";
      }
    }
  }
}

TEST(Dot, F16RowsFollowTheSpecifiedOrderAtEveryLevel) {
  for (Isa isa : supported_levels()) {
    SCOPED_TRACE(isa_name(isa));
    for (int64_t dim : {1, 7, 8, 9, 15, 16, 17, 33, 63, 64, 65, 100, 127, 511, 512, 768}) {
      const int64_t rows = 5;
      const std::vector<float> q = random_floats(static_cast<size_t>(dim), 20 + dim);
      const std::vector<float> r = random_floats(static_cast<size_t>(rows * dim), 40 + dim);
      std::vector<uint16_t> halves(r.size());
      for (size_t i = 0; i < r.size(); ++i) halves[i] = f32_to_f16(r[i]);
      std::vector<float> out(rows + 1, -7.0f);
      dot_kernels(isa).rows_f16(q.data(), halves.data(), rows, dim, out.data());
      for (int64_t j = 0; j < rows; ++j) {
        ASSERT_EQ(bits(out[j]), bits(specified_f16_dot(q.data(), halves.data() + j * dim, dim)))
            << "dim " << dim << " row " << j;
      }
      EXPECT_EQ(out[rows], -7.0f) << "wrote past n";
    }
  }
}

TEST(Dot, F16RowsAreCloseToTheF32Scores) {
  // Normalized 512-d rows: rounding to F16 moves a score by about 2^-11 of its size at most.
  const int64_t dim = 512;
  std::vector<float> q = random_floats(dim, 3), r = random_floats(dim, 4);
  std::vector<uint16_t> halves(dim);
  for (int64_t i = 0; i < dim; ++i) halves[i] = f32_to_f16(r[i]);
  float got;
  dot_rows_f16(q.data(), halves.data(), 1, dim, &got);
  const float exact = dot(q.data(), r.data(), dim);
  EXPECT_NEAR(got, exact, 1e-3 * std::sqrt(dim) * 4);
}

TEST(Dot, TailLanesKeepTheirSignedZeros) {
  // Every product underflows to -0, so every lane and the sum are -0; a kernel that padded its
  // tail (dim 21: lanes 5-15 get no element there) with 0 * 0 would turn those lanes, and the
  // sum, into +0.
  const int64_t dim = 21;
  const std::vector<float> a(dim, 1e-30f), b(dim, -1e-30f);
  const float want = specified_dot(a.data(), b.data(), dim);
  ASSERT_TRUE(want == 0 && std::signbit(want));
  for (Isa isa : supported_levels()) {
    EXPECT_EQ(bits(dot_kernels(isa).dot(a.data(), b.data(), dim)), bits(want)) << isa_name(isa);
    float rows[2];
    std::vector<float> two(a);
    two.insert(two.end(), a.begin(), a.end());
    dot_kernels(isa).matrix(b.data(), 1, two.data(), 2, dim, rows, 2);
    EXPECT_EQ(bits(rows[1]), bits(want)) << isa_name(isa);
  }
}

TEST(Dot, PublicEntryPointsUseTheActiveLevel) {
  const int64_t dim = 77, rows = 9;
  const std::vector<float> q = random_floats(dim, 11), r = random_floats(rows * dim, 12);
  std::vector<float> out(rows), matrix(rows);
  dot_rows(q.data(), r.data(), rows, dim, out.data());
  dot_matrix(q.data(), 1, r.data(), rows, dim, matrix.data(), rows);
  for (int64_t j = 0; j < rows; ++j) {
    const float want = specified_dot(q.data(), r.data() + j * dim, dim);
    EXPECT_EQ(bits(dot(q.data(), r.data() + j * dim, dim)), bits(want));
    EXPECT_EQ(bits(out[j]), bits(want));
    EXPECT_EQ(bits(matrix[j]), bits(want));
  }
}

TEST(Dot, ScalarFmaIsCorrectlyRounded) {
  // 1 + 2^-12 squared is 1 + 2^-11 + 2^-24: exactly halfway between two floats.
  const float a = 1.0f + 0x1p-12f;
  for (float c : {0.0f, 0x1p-80f, -0x1p-80f, 0x1p-60f}) {
    // With c = +-2^-80 the exact value is just off the halfway point, but rounds to it in double:
    // rounding that double to float would then go the wrong way.
    EXPECT_EQ(bits(dot_internal::fma_exact(a, a, c)), bits(std::fma(a, a, c))) << c;
  }
  EXPECT_NE(bits(static_cast<float>(static_cast<double>(a) * a + 0x1p-80)),
            bits(std::fma(a, a, 0x1p-80f)))
      << "the case above no longer tests double rounding";
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<float> mantissa(1.0f, 2.0f);
  std::uniform_int_distribution<int> exponent(-140, 40), sign(0, 1);
  auto draw = [&] { return std::ldexp(mantissa(rng), exponent(rng)) * (sign(rng) ? -1.0f : 1.0f); };
  for (int i = 0; i < 2000000; ++i) {
    const float x = draw(), y = draw(), z = draw();
    ASSERT_EQ(bits(dot_internal::fma_exact(x, y, z)), bits(std::fma(x, y, z)))
        << x << " * " << y << " + " << z;
  }
}

// The cpuid bits read by hand agree with the kernel's reading of them (Linux's flags).
TEST(Isa, Bf16LevelMatchesTheKernelsCpuFlags) {
  std::ifstream cpuinfo("/proc/cpuinfo");
  if (!cpuinfo) GTEST_SKIP() << "no /proc/cpuinfo to compare with";
  std::string line;
  while (std::getline(cpuinfo, line) && line.rfind("flags", 0) != 0) {
  }
  auto has = [&](const std::string& flag) {
    return (line + " ").find(" " + flag + " ") != std::string::npos;
  };
  const bool avx512 = has("avx512f") && has("avx512bw") && has("avx512dq") && has("avx512vl");
  if (avx512 != isa_at_least(isa_supported(), Isa::kAvx512)) {
    GTEST_SKIP() << "the OS state hides AVX-512 from this process; nothing to compare";
  }
  EXPECT_EQ(isa_supported() == Isa::kAvx512Bf16, avx512 && has("avx512_bf16") && has("avx512_vnni"))
      << "supported: " << isa_name(isa_supported()) << "; flags: " << line;
}

TEST(Dot, ActiveLevelIsCappedByTheEnvironment) {
  const char* cap = std::getenv("CLIPSEARCH_ISA");
  if (cap == nullptr || *cap == '\0') {
    EXPECT_EQ(isa_active(), isa_supported());
    return;
  }
  const std::optional<Isa> parsed = isa_parse(cap);
  ASSERT_TRUE(parsed.has_value()) << cap;
  EXPECT_TRUE(isa_at_least(*parsed, isa_active()));
  EXPECT_TRUE(isa_at_least(isa_supported(), isa_active()));
}

TEST(Isa, NamesRoundTripAndUnknownNamesAreRefused) {
  for (Isa isa : kIsaLevels) {
    EXPECT_EQ(isa_parse(isa_name(isa)), isa);
  }
  EXPECT_FALSE(isa_parse("sse9").has_value());
  EXPECT_FALSE(isa_parse("").has_value());
  EXPECT_FALSE(isa_parse("AVX2").has_value());
}

}  // namespace
}  // namespace clipsearch
