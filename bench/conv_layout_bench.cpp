// RN50's convolutions in the two layouts a convolution-as-matrix-product can take, on one
// thread, best of several runs: NHWC (clipsearch's: rows are output pixels, columns the
// (ky, kx, c) patch, conv2d_nhwc) against NCHW (Caffe's im2col: W [out, c*k*k] times the patch
// matrix [c*k*k, pixels] of each image, one sgemm per image). Chooses the ResNet tower's layout
// (docs/ARCHITECTURE.md, "The engine"). Usage: conv_layout_bench [images] [reps]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <vector>

#include "best_seconds.h"
#include "clipsearch/threads.h"
#include "tensor/conv.h"
#include "tensor/gemm.h"

using namespace clipsearch;

namespace {

struct Shape {
  const char* what;
  int64_t side, in, out, kernel;
};

// The stem's and each stage's convolutions of RN50 at 224 px (stride 1, padding kernel / 2).
constexpr Shape kShapes[] = {
    {"stem 3x3 32->64", 112, 32, 64, 3},    {"stage1 3x3 64", 56, 64, 64, 3},
    {"stage1 1x1 64->256", 56, 64, 256, 1}, {"stage2 3x3 128", 28, 128, 128, 3},
    {"stage3 3x3 256", 14, 256, 256, 3},    {"stage3 1x1 1024->256", 14, 1024, 256, 1},
    {"stage4 3x3 512", 7, 512, 512, 3},
};

std::vector<float> random_floats(size_t n) {
  std::mt19937 rng(7);
  std::normal_distribution<float> normal;
  std::vector<float> v(n);
  for (float& x : v) x = normal(rng);
  return v;
}

// NCHW im2col of one image: cols[(c * k + ky) * k + kx][y * side + x].
void im2col_nchw(const float* x, int64_t channels, int64_t side, int64_t k, float* cols) {
  const int64_t pad = k / 2, pixels = side * side;
  for (int64_t c = 0; c < channels; ++c) {
    for (int64_t ky = 0; ky < k; ++ky) {
      for (int64_t kx = 0; kx < k; ++kx) {
        float* dst = cols + ((c * k + ky) * k + kx) * pixels;
        for (int64_t y = 0; y < side; ++y) {
          const int64_t iy = y - pad + ky;
          for (int64_t xo = 0; xo < side; ++xo) {
            const int64_t ix = xo - pad + kx;
            const bool inside = iy >= 0 && iy < side && ix >= 0 && ix < side;
            dst[y * side + xo] = inside ? x[(c * side + iy) * side + ix] : 0.0f;
          }
        }
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t images = argc > 1 ? std::atoll(argv[1]) : 1;
  const int reps = argc > 2 ? std::atoi(argv[2]) : 5;
  set_num_threads(1);
  gemm_init();
  std::printf("%-22s %10s %10s %8s   (%lld image(s), 1 thread, best of %d)\n", "convolution",
              "NHWC ms", "NCHW ms", "NCHW/NHWC", static_cast<long long>(images), reps);
  for (const Shape& s : kShapes) {
    const int64_t pixels = s.side * s.side, patch = s.in * s.kernel * s.kernel;
    const std::vector<float> x = random_floats(static_cast<size_t>(images * pixels * s.in));
    const WeightMatrix w =
        WeightMatrix::owned_f32(random_floats(static_cast<size_t>(s.out * patch)), s.out, patch);
    std::vector<float> y(static_cast<size_t>(images * pixels * s.out)), scratch;
    std::vector<float> cols(static_cast<size_t>(patch * pixels));
    const ConvGeometry g{images, s.side, s.side, s.in, s.kernel, 1, s.kernel / 2};
    const double nhwc = best_seconds(reps, [&] {
      conv2d_nhwc(g, x.data(), w, 0.0f, y.data(), nullptr, Activation::kIdentity, scratch);
    });
    const double nchw = best_seconds(reps, [&] {
      for (int64_t n = 0; n < images; ++n) {
        const float* image = x.data() + n * s.in * pixels;
        const float* b = image;  // a 1x1 convolution multiplies the channels in place
        if (s.kernel > 1) {
          im2col_nchw(image, s.in, s.side, s.kernel, cols.data());
          b = cols.data();
        }
        // y[n] [out, pixels] = W [out, patch] . cols [patch, pixels]
        gemm_single(s.out, pixels, patch, 1.0f, w.f32_data(), patch, b, pixels, false, 0.0f,
                    y.data() + n * s.out * pixels, pixels);
      }
    });
    std::printf("%-22s %10.2f %10.2f %8.2f\n", s.what, nhwc * 1e3, nchw * 1e3, nchw / nhwc);
  }
  return 0;
}
