// sgemm_peak: this machine's OpenBLAS sgemm throughput, the yardstick for the image tower.
// Prints one JSON line: OpenBLAS with its own threads, and clipsearch's linear() (OpenBLAS
// single-threaded per call, split over clipsearch's pool) on the ViT-B MLP shape.
#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "clipsearch/threads.h"
#include "tensor/blas_core.h"
#include "tensor/gemm.h"

namespace {

template <class Fn>
double best_gflops(double flops, int repeats, Fn fn) {
  fn();  // warm-up
  double best = 0;
  for (int i = 0; i < repeats; ++i) {
    auto start = std::chrono::steady_clock::now();
    fn();
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    best = std::max(best, flops / s / 1e9);
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  clipsearch::reexec_with_better_blas(argv);
  const int threads = argc > 1 ? std::atoi(argv[1]) : 0;
  const int repeats = argc > 2 ? std::atoi(argv[2]) : 5;
  clipsearch::set_num_threads(threads);
  const int t = clipsearch::num_threads();
  // x [1600, 768] @ W^T, W [3072, 768]: ViT-B/32 fc1 at batch 32.
  const int64_t m = 1600, n = 3072, k = 768;
  std::vector<float> x(m * k), w(n * k), y(m * n);
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-1, 1);
  for (float& v : x) v = u(rng);
  for (float& v : w) v = u(rng);
  const double flops = 2.0 * m * n * k;
  openblas_set_num_threads(t);
  double openblas = best_gflops(flops, repeats, [&] {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1, x.data(), k, w.data(), k, 0,
                y.data(), n);
  });
  clipsearch::gemm_init();
  double ours = best_gflops(flops, repeats, [&] {
    clipsearch::linear(m, n, k, x.data(), k, w.data(), clipsearch::WeightLayout::kOutIn, 0.0f,
                       y.data(), n);
  });
  std::printf(
      "{\"threads\": %d, \"blas_core\": \"%s\", \"shape\": [%ld, %ld, %ld], "
      "\"openblas_gflops\": %.2f, \"clipsearch_linear_gflops\": %.2f}\n",
      t, clipsearch::blas_core_name().c_str(), static_cast<long>(m), static_cast<long>(n),
      static_cast<long>(k), openblas, ours);
  return 0;
}
