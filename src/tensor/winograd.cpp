#include "tensor/winograd.h"

#include <algorithm>
#include <cassert>

#include "core/thread_pool.h"
#include "tensor/winograd_transforms.h"

namespace clipsearch {
namespace {

// Tiles per pass: the transformed inputs and products of a pass, points x tiles x (in + out)
// floats, stay near 16 MB whatever the layer.
constexpr int64_t kPassFloats = int64_t{1} << 22;

// G of F(2x2, 3x3) and F(4x4, 3x3) (winograd.h), [tile + 2][3].
constexpr double kG2[4][3] = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
constexpr double kG4[6][3] = {{0.25, 0, 0},
                              {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                              {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                              {1.0 / 24, 1.0 / 12, 1.0 / 6},
                              {1.0 / 24, -1.0 / 12, 1.0 / 6},
                              {0, 0, 1}};

double g_at(int64_t tile, int64_t row, int64_t col) {
  return tile == 2 ? kG2[row][col] : kG4[row][col];
}

}  // namespace

WinogradWeights winograd_weights(const float* data, int64_t out_count, int64_t in, int64_t tile) {
  assert(in % 9 == 0 && (tile == 2 || tile == 4));
  WinogradWeights out;
  out.tile = tile;
  out.out = out_count;
  out.in = in / 9;
  const int64_t alpha = tile + 2;
  std::vector<std::vector<float>> points(static_cast<size_t>(alpha * alpha),
                                         std::vector<float>(static_cast<size_t>(out.out * out.in)));
  for (int64_t o = 0; o < out.out; ++o) {
    for (int64_t c = 0; c < out.in; ++c) {
      double gk[6][3] = {};  // G g
      for (int64_t r = 0; r < alpha; ++r) {
        for (int64_t s = 0; s < 3; ++s) {
          for (int64_t k = 0; k < 3; ++k) {
            gk[r][s] += g_at(tile, r, k) * data[o * in + (k * 3 + s) * out.in + c];
          }
        }
      }
      for (int64_t r = 0; r < alpha; ++r) {  // (G g) G^T
        for (int64_t s = 0; s < alpha; ++s) {
          double u = 0;
          for (int64_t k = 0; k < 3; ++k) u += gk[r][k] * g_at(tile, s, k);
          points[static_cast<size_t>(r * alpha + s)][static_cast<size_t>(o * out.in + c)] =
              static_cast<float>(u);
        }
      }
    }
  }
  for (auto& point : points) {
    out.points.emplace_back(point.data(), out.out, out.in);
  }
  return out;
}

void conv3x3_winograd_nhwc(const ConvGeometry& g, const float* x, const WinogradWeights& w,
                           float beta, float* y, const float* bias, Activation act,
                           std::vector<float>& scratch, int64_t tiles_per_pass) {
  assert(g.kernel == 3 && g.stride == 1 && g.padding == 1 && g.channels == w.in);
  const WinogradTiling tiling(g, w.tile);
  const int64_t points = tiling.points;
  const int64_t tiles = g.batch * tiling.per_image;
  const int64_t per_pass = tiles_per_pass > 0
                               ? tiles_per_pass
                               : std::max<int64_t>(16, kPassFloats / (points * (w.in + w.out)));
  const int64_t pass = std::min(tiles, per_pass);
  const int64_t floats = points * pass * (w.in + w.out);
  if (scratch.size() < static_cast<size_t>(floats)) scratch.resize(static_cast<size_t>(floats));
  float* v = scratch.data();                         // [points][pass][in]
  float* m = scratch.data() + points * pass * w.in;  // [points][pass][out]
  for (int64_t first = 0; first < tiles; first += pass) {
    const int64_t count = std::min(pass, tiles - first);
    parallel_for(
        count,
        [&](int64_t begin, int64_t end) {
          winograd_input_tiles(tiling, x, first, count, begin, end, v);
        },
        4);
    // The products are independent and equal in size: one task each.
    parallel_tasks(points, [&](int64_t e) {
      packed_gemm_single(count, v + e * count * w.in, w.in, w.points[static_cast<size_t>(e)], 0,
                         w.out, 0.0f, m + e * count * w.out, w.out);
    });
    parallel_for(
        count,
        [&](int64_t begin, int64_t end) {
          winograd_output_tiles(tiling, m, first, count, begin, end, w.out, beta, y, bias, act);
        },
        4);
  }
}

}  // namespace clipsearch
