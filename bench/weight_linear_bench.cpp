// linear() with float32, BF16, F16 and int8 weights, BF16 packed at load (where the CPU has BF16
// arithmetic), and int8-dynamic's int8 x int8 products
// (tensor/int8_gemm.h), on ViT-B/32's shapes: GFLOP/s (GOP/s) of each, the
// best of several runs. Chooses the reduced-precision kernels' design (docs/ARCHITECTURE.md,
// "Precisions"). Usage: weight_linear_bench [threads] [reps] [shape name part]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "best_seconds.h"
#include "clipsearch/threads.h"
#include "core/isa.h"
#include "tensor/int8_gemm.h"
#include "tensor/weight_linear.h"

using namespace clipsearch;

namespace {

struct Shape {
  const char* what;
  int64_t m, out, in;
};

// Rows: a batch of 32 images is 1600 token rows; a 10-token text is 10 rows.
constexpr Shape kShapes[] = {
    {"image qkv/out", 1600, 768, 768}, {"image fc1", 1600, 3072, 768},
    {"image fc2", 1600, 768, 3072},    {"text 10 qkv/out", 10, 512, 512},
    {"text 10 fc1", 10, 2048, 512},    {"text 10 fc2", 10, 512, 2048},
    {"image 1 fc1", 50, 3072, 768},    {"proj 32", 32, 512, 768},
};

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1) set_num_threads(std::atoi(argv[1]));
  const int reps = argc > 2 ? std::atoi(argv[2]) : 10;
  const std::string only = argc > 3 ? argv[3] : "";
  std::printf("threads %d, isa %s, int8 kernels %s\n", num_threads(), isa_name(isa_active()),
              int8_level_name(int8_level_active()));
  std::mt19937 rng(1);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  for (const Shape& s : kShapes) {
    if (std::string(s.what).find(only) == std::string::npos) continue;
    std::vector<float> x(static_cast<size_t>(s.m * s.in)), w(static_cast<size_t>(s.out * s.in));
    std::vector<float> y(static_cast<size_t>(s.m * s.out));
    for (float& v : x) v = normal(rng);
    for (float& v : w) v = normal(rng);
    const WeightMatrix f32 = WeightMatrix::f32(w.data(), s.out, s.in, WeightLayout::kOutIn);
    std::printf("%-16s m=%4ld out=%4ld in=%4ld ", s.what, static_cast<long>(s.m),
                static_cast<long>(s.out), static_cast<long>(s.in));
    for (WeightType type :
         {WeightType::kF32, WeightType::kBF16, WeightType::kF16, WeightType::kInt8}) {
      const WeightMatrix m = WeightMatrix::convert(f32, type);
      const double t =
          best_seconds(reps, [&] { linear(s.m, x.data(), s.in, m, 0.0f, y.data(), s.out); });
      std::printf(" %s %7.1f", weight_type_name(type),
                  2.0 * static_cast<double>(s.m * s.out * s.in) / t * 1e-9);
    }
    // Packed as the model packs them at load, where this CPU's level multiplies packed BF16.
    if (bf16_products_packed()) {
      const WeightMatrix packed =
          WeightMatrix::bf16_products(WeightMatrix::convert(f32, WeightType::kBF16));
      const double t =
          best_seconds(reps, [&] { linear(s.m, x.data(), s.in, packed, 0.0f, y.data(), s.out); });
      std::printf(" bf16-packed %7.1f", 2.0 * static_cast<double>(s.m * s.out * s.in) / t * 1e-9);
    }
    const WeightMatrix dynamic =
        WeightMatrix::int8_products(WeightMatrix::convert(f32, WeightType::kInt8));
    const double t =
        best_seconds(reps, [&] { linear(s.m, x.data(), s.in, dynamic, 0.0f, y.data(), s.out); });
    std::printf(" int8-dynamic %7.1f", 2.0 * static_cast<double>(s.m * s.out * s.in) / t * 1e-9);
    std::printf("  GFLOP/s\n");
  }
  return 0;
}
