#include "tensor/winograd.h"

#include <algorithm>
#include <cassert>

#include "core/thread_pool.h"
#include "tensor/weight_linear.h"

namespace clipsearch {
namespace {

constexpr int64_t kPoints = 16;  // the 4x4 transformed tile
// Tiles per pass: the transformed inputs and products of a pass, 16 x tiles x (in + out) floats,
// stay near 16 MB whatever the layer.
constexpr int64_t kPassFloats = int64_t{1} << 22;

struct Tiling {
  int64_t rows = 0, cols = 0, per_image = 0;  // 2x2 output tiles per column, row, image
  Tiling(const ConvGeometry& g)
      : rows((g.height + 1) / 2), cols((g.width + 1) / 2), per_image(rows * cols) {}
};

// v[e][t - first][c] = (B^T d B)[e] for the tiles t of [first, first + count): d is the 4x4 input
// block at (2 ty - 1, 2 tx - 1), zero outside the image (read from `zeros`, so that the loop over
// channels has no branch and vectorizes).
void transform_inputs(const ConvGeometry& g, const Tiling& tiling, const float* x,
                      const float* zeros, int64_t first, int64_t count, float* v) {
  const int64_t channels = g.channels;
  parallel_for(
      count,
      [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) {
          const int64_t t = first + i;
          const int64_t n = t / tiling.per_image, ty = (t % tiling.per_image) / tiling.cols,
                        tx = t % tiling.cols;
          const float* d[16];
          for (int64_t r = 0; r < 4; ++r) {
            for (int64_t s = 0; s < 4; ++s) {
              const int64_t iy = 2 * ty - 1 + r, ix = 2 * tx - 1 + s;
              const bool inside = iy >= 0 && iy < g.height && ix >= 0 && ix < g.width;
              d[r * 4 + s] = inside ? x + ((n * g.height + iy) * g.width + ix) * channels : zeros;
            }
          }
          float* out[16];
          for (int64_t e = 0; e < kPoints; ++e) out[e] = v + (e * count + i) * channels;
          for (int64_t c = 0; c < channels; ++c) {
            float tmp[16];
            for (int s = 0; s < 4; ++s) {  // B^T d: combine rows
              tmp[0 * 4 + s] = d[0 * 4 + s][c] - d[2 * 4 + s][c];
              tmp[1 * 4 + s] = d[1 * 4 + s][c] + d[2 * 4 + s][c];
              tmp[2 * 4 + s] = d[2 * 4 + s][c] - d[1 * 4 + s][c];
              tmp[3 * 4 + s] = d[1 * 4 + s][c] - d[3 * 4 + s][c];
            }
            for (int r = 0; r < 4; ++r) {  // (B^T d) B: combine columns
              const float* row = tmp + r * 4;
              out[r * 4 + 0][c] = row[0] - row[2];
              out[r * 4 + 1][c] = row[1] + row[2];
              out[r * 4 + 2][c] = row[2] - row[1];
              out[r * 4 + 3][c] = row[1] - row[3];
            }
          }
        }
      },
      4);
}

// y at the tiles of [first, first + count) = act(beta * y + A^T m A + bias), m[e][t - first][o]
// the products. Each tile's 2x2 outputs are computed into `tile` [4][out] on the thread, then
// written where they fall inside the image (odd sizes drop the rest).
void transform_outputs(const ConvGeometry& g, const Tiling& tiling, const float* m, int64_t first,
                       int64_t count, int64_t out_count, float beta, float* y, const float* bias,
                       Activation act) {
  parallel_for(
      count,
      [&](int64_t begin, int64_t end) {
        std::vector<float> tile(static_cast<size_t>(4 * out_count));
        for (int64_t i = begin; i < end; ++i) {
          const int64_t t = first + i;
          const int64_t n = t / tiling.per_image, ty = (t % tiling.per_image) / tiling.cols,
                        tx = t % tiling.cols;
          const float* p[16];
          for (int64_t e = 0; e < kPoints; ++e) p[e] = m + (e * count + i) * out_count;
          float* q[4];
          for (int64_t k = 0; k < 4; ++k) q[k] = tile.data() + k * out_count;
          for (int64_t o = 0; o < out_count; ++o) {
            float tmp[8];
            for (int s = 0; s < 4; ++s) {  // A^T m: combine rows
              tmp[0 * 4 + s] = p[0 * 4 + s][o] + p[1 * 4 + s][o] + p[2 * 4 + s][o];
              tmp[1 * 4 + s] = p[1 * 4 + s][o] - p[2 * 4 + s][o] - p[3 * 4 + s][o];
            }
            for (int r = 0; r < 2; ++r) {  // (A^T m) A: combine columns
              const float* row = tmp + r * 4;
              q[r * 2 + 0][o] = row[0] + row[1] + row[2];
              q[r * 2 + 1][o] = row[1] - row[2] - row[3];
            }
          }
          for (int64_t r = 0; r < 2; ++r) {
            for (int64_t s = 0; s < 2; ++s) {
              const int64_t oy = 2 * ty + r, ox = 2 * tx + s;
              if (oy >= g.height || ox >= g.width) continue;
              float* dst = y + ((n * g.height + oy) * g.width + ox) * out_count;
              const float* src = q[r * 2 + s];
              if (beta == 0.0f) {
                std::copy(src, src + out_count, dst);
              } else {
                for (int64_t o = 0; o < out_count; ++o) dst[o] = beta * dst[o] + src[o];
              }
              bias_activation(dst, 1, out_count, out_count, bias, act);  // inline: inside a task
            }
          }
        }
      },
      4);
}

}  // namespace

WinogradWeights winograd_weights(const WeightMatrix& w) {
  assert(w.type() == WeightType::kF32 && w.layout() == WeightLayout::kOutIn && w.in() % 9 == 0);
  WinogradWeights out;
  out.out = w.out();
  out.in = w.in() / 9;
  std::vector<std::vector<float>> points(kPoints,
                                         std::vector<float>(static_cast<size_t>(out.out * out.in)));
  const float* data = w.f32_data();
  for (int64_t o = 0; o < out.out; ++o) {
    for (int64_t c = 0; c < out.in; ++c) {
      float k[3][3];
      for (int r = 0; r < 3; ++r) {
        for (int s = 0; s < 3; ++s) k[r][s] = data[o * w.in() + (r * 3 + s) * out.in + c];
      }
      float gk[4][3];  // G g
      for (int s = 0; s < 3; ++s) {
        gk[0][s] = k[0][s];
        gk[1][s] = 0.5f * (k[0][s] + k[1][s] + k[2][s]);
        gk[2][s] = 0.5f * (k[0][s] - k[1][s] + k[2][s]);
        gk[3][s] = k[2][s];
      }
      for (int r = 0; r < 4; ++r) {  // (G g) G^T
        const float u[4] = {gk[r][0], 0.5f * (gk[r][0] + gk[r][1] + gk[r][2]),
                            0.5f * (gk[r][0] - gk[r][1] + gk[r][2]), gk[r][2]};
        for (int s = 0; s < 4; ++s) {
          points[static_cast<size_t>(r * 4 + s)][static_cast<size_t>(o * out.in + c)] = u[s];
        }
      }
    }
  }
  for (auto& point : points) {
    out.points.push_back(WeightMatrix::owned_f32(std::move(point), out.out, out.in));
  }
  return out;
}

void conv3x3_winograd_nhwc(const ConvGeometry& g, const float* x, const WinogradWeights& w,
                           float beta, float* y, const float* bias, Activation act,
                           std::vector<float>& scratch, int64_t tiles_per_pass) {
  assert(g.kernel == 3 && g.stride == 1 && g.padding == 1 && g.channels == w.in);
  const Tiling tiling(g);
  const int64_t tiles = g.batch * tiling.per_image;
  const int64_t per_pass = tiles_per_pass > 0
                               ? tiles_per_pass
                               : std::max<int64_t>(16, kPassFloats / (kPoints * (w.in + w.out)));
  const int64_t pass = std::min(tiles, per_pass);
  const int64_t floats = kPoints * pass * (w.in + w.out) + w.in;
  if (scratch.size() < static_cast<size_t>(floats)) scratch.resize(static_cast<size_t>(floats));
  float* zeros = scratch.data() + kPoints * pass * (w.in + w.out);  // [in]: the padding
  std::fill(zeros, zeros + w.in, 0.0f);
  float* v = scratch.data();                          // [16][pass][in]
  float* m = scratch.data() + kPoints * pass * w.in;  // [16][pass][out]
  for (int64_t first = 0; first < tiles; first += pass) {
    const int64_t count = std::min(pass, tiles - first);
    transform_inputs(g, tiling, x, zeros, first, count, v);
    // The 16 products are independent and equal in size: one task each.
    parallel_tasks(kPoints, [&](int64_t e) {
      linear_single(count, v + e * count * w.in, w.in, w.points[static_cast<size_t>(e)], 0.0f,
                    m + e * count * w.out, w.out);
    });
    transform_outputs(g, tiling, m, first, count, w.out, beta, y, bias, act);
  }
}

}  // namespace clipsearch
