#include <algorithm>

#include "core/thread_pool.h"
#include "model/towers.h"
#include "tensor/ops.h"
#include "tensor/weight_linear.h"

namespace clipsearch {
namespace {

// Unfolds non-overlapping patches so that the patch conv (stride = kernel, no bias) becomes one
// matrix product. patches[n * P + gy * grid + gx][c * p * p + ky * p + kx] =
// pixels[n][c][gy * p + ky][gx * p + kx], matching the conv weight's [out, c, ky, kx] order.
void unfold_patches(const VisionConfig& c, const float* pixels, int64_t count, float* patches) {
  const int64_t p = c.patch_size, grid = c.grid(), size = c.image_size;
  const int64_t per_image = grid * grid;
  const int64_t cols = c.channels * p * p;
  parallel_for(count * per_image, [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      const int64_t n = row / per_image, gy = (row % per_image) / grid, gx = row % grid;
      float* dst = patches + row * cols;
      for (int64_t ch = 0; ch < c.channels; ++ch) {
        for (int64_t ky = 0; ky < p; ++ky) {
          const float* src = pixels + ((n * c.channels + ch) * size + gy * p + ky) * size + gx * p;
          std::copy(src, src + p, dst + (ch * p + ky) * p);
        }
      }
    }
  });
}

}  // namespace

void vision_forward(const VisionConfig& c, const VisionWeights& w, int64_t proj_dim,
                    const float* pixels, int64_t count, float* out, TowerWorkspace& ws) {
  const int64_t width = c.width, tokens = c.tokens(), patches = tokens - 1;
  const int64_t cols = c.channels * c.patch_size * c.patch_size;
  grow_buffer(ws.patches, count * patches * cols);
  grow_buffer(ws.hidden, count * tokens * width);
  grow_buffer(ws.pooled, count * width);
  float* hidden = ws.hidden.data();  // [count * tokens, width]
  unfold_patches(c, pixels, count, ws.patches.data());

  // hidden[n] = [class_embedding; patches[n] @ conv^T] + position_embedding
  parallel_for(count * tokens, [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      const int64_t t = row % tokens;
      float* dst = hidden + row * width;
      const float* pos = w.position_embedding + t * width;
      if (t == 0) {
        for (int64_t i = 0; i < width; ++i) dst[i] = w.class_embedding[i] + pos[i];
      } else {
        std::copy(pos, pos + width, dst);
      }
    }
  });
  auto embed_image = [&](int64_t n, bool threaded) {
    const float* x = ws.patches.data() + n * patches * cols;
    float* y = hidden + (n * tokens + 1) * width;
    if (threaded) {
      linear(patches, x, cols, w.patch_weight, 1.0f, y, width);
    } else {
      linear_single(patches, x, cols, w.patch_weight, 1.0f, y, width);
    }
  };
  if (count >= num_threads()) {
    parallel_tasks(count, [&](int64_t n) { embed_image(n, false); });
  } else {
    for (int64_t n = 0; n < count; ++n) embed_image(n, true);
  }

  layer_norm(hidden, count * tokens, width, width, w.pre_ln.gamma, w.pre_ln.beta, c.layer_norm_eps,
             hidden, width);
  PackedSequences seqs;
  for (int64_t n = 0; n <= count; ++n) seqs.offsets.push_back(n * tokens);
  std::vector<int64_t> class_rows;  // only the class token of each image is read afterwards
  for (int64_t n = 0; n < count; ++n) class_rows.push_back(n * tokens);
  encoder_forward(c, w.layers, seqs, /*causal=*/false, hidden, ws.encoder, &class_rows);

  // Class token of each image -> post layer norm -> projection.
  layer_norm(hidden, count, width, tokens * width, w.post_ln.gamma, w.post_ln.beta,
             c.layer_norm_eps, ws.pooled.data(), width);
  linear(count, ws.pooled.data(), width, w.projection.weight, 0.0f, out, proj_dim);
}

}  // namespace clipsearch
