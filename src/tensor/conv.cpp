#include "tensor/conv.h"

#include <algorithm>
#include <atomic>

#include "core/thread_pool.h"
#include "tensor/packed_gemm.h"
#include "tensor/weight_linear.h"

namespace clipsearch {
namespace {

// Output rows per block of the blocked path: enough that repacking the weight for each block's
// product costs under 1% of the block's arithmetic (2 * rows flops per packed weight), few
// enough that a block's patches stay near the core (256 x 576 floats = 576 KB for a 3x3 conv of
// 64 channels).
constexpr int64_t kBlockRows = 256;

// Copies the patches of output pixels [first, first + count) into cols [count, g.patch()]:
// cols[r][(ky * kernel + kx) * channels + c] = x[n][oy * stride - padding + ky][ox * stride -
// padding + kx][c], zero outside the input.
void unfold_rows(const ConvGeometry& g, const float* x, int64_t first, int64_t count, float* cols) {
  const int64_t oh = g.out_height(), ow = g.out_width(), c = g.channels, k = g.kernel;
  for (int64_t r = 0; r < count; ++r) {
    const int64_t p = first + r;
    const int64_t n = p / (oh * ow), oy = (p / ow) % oh, ox = p % ow;
    float* dst = cols + r * g.patch();
    for (int64_t ky = 0; ky < k; ++ky) {
      const int64_t iy = oy * g.stride - g.padding + ky;
      for (int64_t kx = 0; kx < k; ++kx) {
        const int64_t ix = ox * g.stride - g.padding + kx;
        float* d = dst + (ky * k + kx) * c;
        if (iy < 0 || iy >= g.height || ix < 0 || ix >= g.width) {
          std::fill(d, d + c, 0.0f);
        } else {
          const float* s = x + ((n * g.height + iy) * g.width + ix) * c;
          std::copy(s, s + c, d);
        }
      }
    }
  }
}

// The product of a block of patches with either kind of weight, on the calling thread or on the
// pool. Each returns whether it also applied the bias and the activation: the packed kernel does
// both (a ReLU or none) as it stores, which saves a pass over the output.
bool product_single(int64_t m, const float* x, int64_t ldx, const WeightMatrix& w, float beta,
                    float* y, int64_t ldy, const float*, Activation) {
  linear_single(m, x, ldx, w, beta, y, ldy);
  return false;
}
bool fusable(Activation act) { return act == Activation::kIdentity || act == Activation::kRelu; }
bool product_single(int64_t m, const float* x, int64_t ldx, const PackedWeights& w, float beta,
                    float* y, int64_t ldy, const float* bias, Activation act) {
  if (!fusable(act)) bias = nullptr;
  packed_gemm_single(m, x, ldx, w, 0, w.out(), beta, y, ldy, {bias, act == Activation::kRelu});
  return fusable(act);
}
bool product(int64_t m, const float* x, int64_t ldx, const WeightMatrix& w, float beta, float* y,
             int64_t ldy, const float*, Activation) {
  linear(m, x, ldx, w, beta, y, ldy);
  return false;
}
bool product(int64_t m, const float* x, int64_t ldx, const PackedWeights& w, float beta, float* y,
             int64_t ldy, const float* bias, Activation act) {
  if (!fusable(act)) bias = nullptr;
  packed_gemm(m, x, ldx, w, beta, y, ldy, {bias, act == Activation::kRelu});
  return fusable(act);
}

// Each thread takes blocks of output rows: unfolds a block into its own slot (a 1x1 convolution
// at stride 1 reads the activations in place), multiplies it, and applies bias and activation.
template <class Weights>
void conv_blocked(const ConvGeometry& g, const float* x, const Weights& w, float beta, float* y,
                  const float* bias, Activation act, std::vector<float>& scratch) {
  const bool pointwise = g.kernel == 1 && g.stride == 1 && g.padding == 0;
  // At most kBlockRows rows per block, as many blocks for each thread: 3136 rows (a 56 x 56 map)
  // in 256-row blocks would leave one of two threads a block behind the other.
  const int64_t rows = g.out_pixels(), threads = num_threads();
  const int64_t per_thread = (rows + threads * kBlockRows - 1) / (threads * kBlockRows);
  const int64_t block_rows = (rows + threads * per_thread - 1) / (threads * per_thread);
  const int64_t blocks = (rows + block_rows - 1) / block_rows;
  const int64_t slots = std::min<int64_t>(num_threads(), blocks);
  const int64_t slot_floats = pointwise ? 0 : block_rows * g.patch();
  if (scratch.size() < static_cast<size_t>(slots * slot_floats)) {
    scratch.resize(static_cast<size_t>(slots * slot_floats));
  }
  std::atomic<int64_t> next_slot{0};
  parallel_for(
      blocks,
      [&](int64_t begin, int64_t end) {
        float* cols = scratch.data() + next_slot.fetch_add(1) * slot_floats;
        for (int64_t b = begin; b < end; ++b) {
          const int64_t first = b * block_rows, count = std::min(block_rows, rows - first);
          const float* patches = x + first * g.channels;
          if (!pointwise) {
            unfold_rows(g, x, first, count, cols);
            patches = cols;
          }
          float* out = y + first * w.out();
          if (!product_single(count, patches, g.patch(), w, beta, out, w.out(), bias, act)) {
            bias_activation(out, count, w.out(), w.out(), bias, act);  // inline: inside a task
          }
        }
      },
      (blocks + slots - 1) / slots);  // at most `slots` chunks, one scratch slot each
}

// Few output rows (late stages, small batches): the whole patch matrix, then one product that
// the pool splits by columns or rows as suits its shape, then bias and activation.
template <class Weights>
void conv_whole(const ConvGeometry& g, const float* x, const Weights& w, float beta, float* y,
                const float* bias, Activation act, std::vector<float>& scratch) {
  const int64_t rows = g.out_pixels();
  const float* patches = x;
  if (g.kernel != 1 || g.stride != 1 || g.padding != 0) {
    if (scratch.size() < static_cast<size_t>(rows * g.patch())) {
      scratch.resize(static_cast<size_t>(rows * g.patch()));
    }
    parallel_for(
        rows,
        [&](int64_t begin, int64_t end) {
          unfold_rows(g, x, begin, end - begin, scratch.data() + begin * g.patch());
        },
        16);
    patches = scratch.data();
  }
  const bool applied = product(rows, patches, g.patch(), w, beta, y, w.out(), bias, act);
  if (!applied && (bias != nullptr || act != Activation::kIdentity)) {
    bias_activation(y, rows, w.out(), w.out(), bias, act);
  }
}

template <class Weights>
void conv(const ConvGeometry& g, const float* x, const Weights& w, float beta, float* y,
          const float* bias, Activation act, std::vector<float>& scratch) {
  if (g.out_pixels() >= 4 * kBlockRows * num_threads()) {
    conv_blocked(g, x, w, beta, y, bias, act, scratch);
  } else {
    conv_whole(g, x, w, beta, y, bias, act, scratch);
  }
}

}  // namespace

void conv2d_nhwc(const ConvGeometry& g, const float* x, const WeightMatrix& w, float beta, float* y,
                 const float* bias, Activation act, std::vector<float>& scratch) {
  conv(g, x, w, beta, y, bias, act, scratch);
}

void conv2d_nhwc(const ConvGeometry& g, const float* x, const PackedWeights& w, float beta,
                 float* y, const float* bias, Activation act, std::vector<float>& scratch) {
  conv(g, x, w, beta, y, bias, act, scratch);
}

void avg_pool_nhwc(const float* x, int64_t batch, int64_t height, int64_t width, int64_t channels,
                   int64_t k, float* y) {
  const int64_t oh = height / k, ow = width / k;
  const float divisor = static_cast<float>(k * k);
  parallel_for(
      batch * oh,
      [&](int64_t begin, int64_t end) {
        for (int64_t row = begin; row < end; ++row) {
          const int64_t n = row / oh, oy = row % oh;
          for (int64_t ox = 0; ox < ow; ++ox) {
            float* dst = y + ((n * oh + oy) * ow + ox) * channels;
            std::fill(dst, dst + channels, 0.0f);
            // ref: PyTorch's CPU avg_pool2d sums the window row by row, then divides.
            for (int64_t dy = 0; dy < k; ++dy) {
              for (int64_t dx = 0; dx < k; ++dx) {
                const float* src =
                    x + ((n * height + oy * k + dy) * width + ox * k + dx) * channels;
                for (int64_t c = 0; c < channels; ++c) dst[c] += src[c];
              }
            }
            for (int64_t c = 0; c < channels; ++c) dst[c] /= divisor;
          }
        }
      },
      4);
}

void nchw_to_nhwc(const float* x, int64_t batch, int64_t channels, int64_t height, int64_t width,
                  float* y) {
  parallel_for(batch * height, [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      const int64_t n = row / height, iy = row % height;
      for (int64_t ix = 0; ix < width; ++ix) {
        for (int64_t c = 0; c < channels; ++c) {
          y[(row * width + ix) * channels + c] = x[((n * channels + c) * height + iy) * width + ix];
        }
      }
    }
  });
}

}  // namespace clipsearch
