// RN50's 3x3 convolutions (one 224 px image, stride 1) each way the ResNet tower can run them, on
// one thread, best of several runs in CPU time (a shared machine's other processes do not count):
// the direct product through sgemm (the weight repacked on every call), the direct product with
// the weight packed at load (packed_gemm.h), Winograd's F(2x2, 3x3) and F(4x4, 3x3). Chooses
// resnet_weights.cpp's winograd_tile (bench/RESULTS.md, the RN50 section).
// Usage: resnet_conv_bench [reps]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <random>
#include <vector>

#include "clipsearch/threads.h"
#include "tensor/conv.h"
#include "tensor/gemm.h"
#include "tensor/winograd.h"

using namespace clipsearch;

namespace {

struct Shape {
  int64_t side, in, out;
};

// The stem's second and third convolutions, then each stage's (the first block's, which runs
// before its average pool, and the others').
constexpr Shape kShapes[] = {{112, 32, 32},  {112, 32, 64},  {56, 64, 64},
                             {56, 128, 128}, {28, 128, 128}, {28, 256, 256},
                             {14, 256, 256}, {14, 512, 512}, {7, 512, 512}};

double cpu_seconds() {
  timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

double best_cpu_seconds(int reps, const std::function<void()>& fn) {
  fn();
  double best = 1e30;
  for (int i = 0; i < reps; ++i) {
    const double start = cpu_seconds();
    fn();
    best = std::min(best, cpu_seconds() - start);
  }
  return best;
}

std::vector<float> random_floats(size_t n) {
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 0.05f);
  std::vector<float> v(n);
  for (float& x : v) x = normal(rng);
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  const int reps = argc > 1 ? std::atoi(argv[1]) : 20;
  set_num_threads(1);
  gemm_init();
  std::printf("%-16s %9s %9s %9s %9s   (ms, 1 image, 1 thread, best of %d in CPU time)\n",
              "3x3 convolution", "sgemm", "packed", "F(2x2)", "F(4x4)", reps);
  for (const Shape& s : kShapes) {
    const int64_t patch = 9 * s.in;
    const std::vector<float> x = random_floats(static_cast<size_t>(s.side * s.side * s.in));
    const std::vector<float> w = random_floats(static_cast<size_t>(s.out * patch));
    const std::vector<float> bias(static_cast<size_t>(s.out), 0.1f);
    std::vector<float> y(static_cast<size_t>(s.side * s.side * s.out)), scratch;
    const ConvGeometry g{1, s.side, s.side, s.in, 3, 1, 1};
    const WeightMatrix unpacked = WeightMatrix::owned_f32(w, s.out, patch);
    const PackedWeights packed(w.data(), s.out, patch);
    double ms[4];
    ms[0] = best_cpu_seconds(reps, [&] {
      conv2d_nhwc(g, x.data(), unpacked, 0.0f, y.data(), bias.data(), Activation::kRelu, scratch);
    });
    ms[1] = best_cpu_seconds(reps, [&] {
      conv2d_nhwc(g, x.data(), packed, 0.0f, y.data(), bias.data(), Activation::kRelu, scratch);
    });
    for (int64_t tile : {2, 4}) {
      const WinogradWeights u = winograd_weights(w.data(), s.out, patch, tile);
      ms[tile / 2 + 1] = best_cpu_seconds(reps, [&] {
        conv3x3_winograd_nhwc(g, x.data(), u, 0.0f, y.data(), bias.data(), Activation::kRelu,
                              scratch);
      });
    }
    char what[32];
    std::snprintf(what, sizeof what, "%lldx%lld %lld->%lld", static_cast<long long>(s.side),
                  static_cast<long long>(s.side), static_cast<long long>(s.in),
                  static_cast<long long>(s.out));
    std::printf("%-16s %9.2f %9.2f %9.2f %9.2f\n", what, ms[0] * 1e3, ms[1] * 1e3, ms[2] * 1e3,
                ms[3] * 1e3);
  }
  return 0;
}
