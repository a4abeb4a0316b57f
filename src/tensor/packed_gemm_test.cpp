// packed_gemm against the product computed in double, on shapes that leave every edge ragged
// (rows not a multiple of the register block, outputs not a multiple of a panel, inputs across
// passes), at the level CLIPSEARCH_ISA selects (scripts/test.sh runs every level).
#include "tensor/packed_gemm.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

#include "clipsearch/threads.h"
#include "testing/random_floats.h"

namespace clipsearch {
namespace {

using testing::random_normal_floats;

struct Shape {
  int64_t m, out, in;
};

std::vector<float> reference(const Shape& s, const std::vector<float>& x,
                             const std::vector<float>& w, float beta, std::vector<float> y) {
  for (int64_t r = 0; r < s.m; ++r) {
    for (int64_t o = 0; o < s.out; ++o) {
      double sum = 0;
      for (int64_t k = 0; k < s.in; ++k) {
        sum += static_cast<double>(x[static_cast<size_t>(r * s.in + k)]) *
               w[static_cast<size_t>(o * s.in + k)];
      }
      float& dst = y[static_cast<size_t>(r * s.out + o)];
      dst = static_cast<float>(beta * static_cast<double>(dst) + sum);
    }
  }
  return y;
}

// Every output of `got` within the float32 rounding of `in` products of the reference's.
void expect_near(const Shape& s, const std::vector<float>& got, const std::vector<float>& want,
                 const std::string& what) {
  for (size_t i = 0; i < want.size(); ++i) {
    const float tolerance = 1e-5f * static_cast<float>(s.in) * (1.0f + std::fabs(want[i]));
    ASSERT_NEAR(got[i], want[i], tolerance)
        << s.m << "x" << s.out << "x" << s.in << " " << what << " at " << i;
  }
}

TEST(PackedGemm, MatchesTheProductOnRaggedShapes) {
  set_num_threads(2);
  const std::vector<Shape> shapes = {{1, 1, 1},     {5, 15, 3},   {6, 16, 256}, {7, 17, 257},
                                     {13, 33, 600}, {50, 70, 31}, {3, 200, 9},  {200, 40, 64},
                                     {9, 40, 1024}};  // rows 4 KiB apart: copied, not read in place
  uint32_t seed = 1;
  for (const Shape& s : shapes) {
    const auto x = random_normal_floats(static_cast<size_t>(s.m * s.in), seed++);
    const auto w = random_normal_floats(static_cast<size_t>(s.out * s.in), seed++);
    const auto y0 = random_normal_floats(static_cast<size_t>(s.m * s.out), seed++);
    const PackedWeights packed(w.data(), s.out, s.in);
    ASSERT_EQ(packed.out(), s.out);
    ASSERT_EQ(packed.in(), s.in);
    for (float beta : {0.0f, 1.0f, 0.5f}) {
      const auto want = reference(s, x, w, beta, y0);
      std::vector<float> pooled = y0, halves = y0;
      packed_gemm(s.m, x.data(), s.in, packed, beta, pooled.data(), s.out);
      // The calling thread's form on two column ranges split at a panel boundary.
      const int64_t split = std::min(s.out, kPackedPanel);
      packed_gemm_single(s.m, x.data(), s.in, packed, 0, split, beta, halves.data(), s.out);
      packed_gemm_single(s.m, x.data(), s.in, packed, split, s.out, beta, halves.data(), s.out);
      expect_near(s, pooled, want, "pooled, beta " + std::to_string(beta));
      expect_near(s, halves, want, "halves, beta " + std::to_string(beta));
    }
  }
}

// The store's bias and ReLU (PackedOutput), applied once after the last pass over the inputs
// (257, 600 and 2048 inputs take two, three and eight passes), on every edge as above, with and
// without a bias: relu(beta * y + x . W^T + bias).
TEST(PackedGemm, AppliesBiasAndReluAfterTheLastPass) {
  set_num_threads(2);
  const std::vector<Shape> shapes = {{1, 1, 1},     {5, 15, 3},   {7, 17, 257},
                                     {13, 33, 600}, {50, 70, 31}, {9, 40, 2048}};
  uint32_t seed = 100;
  for (const Shape& s : shapes) {
    const auto x = random_normal_floats(static_cast<size_t>(s.m * s.in), seed++);
    const auto w = random_normal_floats(static_cast<size_t>(s.out * s.in), seed++);
    const auto y0 = random_normal_floats(static_cast<size_t>(s.m * s.out), seed++);
    const auto bias = random_normal_floats(static_cast<size_t>(s.out), seed++);
    const PackedWeights packed(w.data(), s.out, s.in);
    for (const float* b : {bias.data(), static_cast<const float*>(nullptr)}) {
      for (bool relu : {true, false}) {
        for (float beta : {0.0f, 1.0f}) {
          auto want = reference(s, x, w, beta, y0);
          for (size_t i = 0; i < want.size(); ++i) {
            if (b != nullptr) want[i] += b[i % static_cast<size_t>(s.out)];
            if (relu) want[i] = std::max(0.0f, want[i]);
          }
          std::vector<float> pooled = y0, single = y0;
          packed_gemm(s.m, x.data(), s.in, packed, beta, pooled.data(), s.out, {b, relu});
          packed_gemm_single(s.m, x.data(), s.in, packed, 0, s.out, beta, single.data(), s.out,
                             {b, relu});
          const std::string what = std::string(b != nullptr ? "bias" : "no bias") +
                                   (relu ? ", relu" : "") + ", beta " + std::to_string(beta);
          expect_near(s, pooled, want, "pooled, " + what);
          expect_near(s, single, want, "single, " + what);
          // The ReLU really clipped (random normal sums are negative about half the time).
          if (relu && want.size() >= 64) {
            EXPECT_GT(std::count(pooled.begin(), pooled.end(), 0.0f),
                      static_cast<std::ptrdiff_t>(want.size() / 4));
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace clipsearch
