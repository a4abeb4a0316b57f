#include <algorithm>

#include "core/thread_pool.h"
#include "model/attention_pool.h"
#include "model/towers.h"
#include "tensor/ops.h"
#include "tensor/weight_linear.h"

namespace clipsearch {
namespace {

// Unfolds non-overlapping patches so that the patch conv (stride = kernel) becomes one matrix
// product. patches[n * P + gy * grid + gx][c * p * p + ky * p + kx] =
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

// hidden [count * tokens, width] = [class_embedding;] patches @ conv^T [+ conv bias] +
// position_embedding, the class token first when the tower has one.
// ref: CLIPVisionEmbeddings.forward; SiglipVisionEmbeddings.forward (no class token, bias).
void embed_patches(const VisionConfig& c, const VisionWeights& w, const float* patches,
                   int64_t count, float* hidden) {
  const int64_t width = c.width, tokens = c.tokens(), first = c.class_token() ? 1 : 0;
  const int64_t per_image = tokens - first;
  const int64_t cols = c.channels * c.patch_size * c.patch_size;
  parallel_for(count * tokens, [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      const int64_t t = row % tokens;
      float* dst = hidden + row * width;
      const float* pos = w.position_embedding + t * width;
      if (t < first) {
        for (int64_t i = 0; i < width; ++i) dst[i] = w.class_embedding[i] + pos[i];
      } else {
        std::copy(pos, pos + width, dst);
      }
    }
  });
  auto embed_image = [&](int64_t n, bool threaded) {
    const float* x = patches + n * per_image * cols;
    float* y = hidden + (n * tokens + first) * width;
    if (threaded) {
      linear(per_image, x, cols, w.patch_weight, 1.0f, y, width);
    } else {
      linear_single(per_image, x, cols, w.patch_weight, 1.0f, y, width);
    }
  };
  if (count >= num_threads()) {
    parallel_tasks(count, [&](int64_t n) { embed_image(n, false); });
  } else {
    for (int64_t n = 0; n < count; ++n) embed_image(n, true);
  }
  if (w.patch_bias != nullptr) {
    for (int64_t n = 0; n < count; ++n) {
      bias_activation(hidden + (n * tokens + first) * width, per_image, width, width, w.patch_bias,
                      Activation::kIdentity);
    }
  }
}

// out [count, width] = SigLIP's pooled output of every image's rows of hidden.
// ref: SiglipVisionTransformer.forward from post_layernorm on, and
// SiglipMultiheadAttentionPoolingHead.forward: attention(probe, h, h), then
// residual + mlp(layernorm(.)).
void probe_pool(const VisionConfig& c, const VisionWeights& w, float* hidden, int64_t count,
                float* out, TowerWorkspace& ws) {
  const int64_t tokens = c.tokens(), width = c.width;
  layer_norm(hidden, count * tokens, width, width, w.post_ln.gamma, w.post_ln.beta,
             c.layer_norm_eps, hidden, width);
  attention_pool(c.heads, w.probe.block, hidden, count, tokens, width, out, ws.pooling,
                 w.probe.probe);
  encoder_mlp_block(c, w.probe.block, count, out, ws.encoder);
}

}  // namespace

void vision_forward(const VisionConfig& c, const VisionWeights& w, int64_t proj_dim,
                    const float* pixels, int64_t count, float* out, TowerWorkspace& ws) {
  const int64_t width = c.width, tokens = c.tokens(), grid = c.grid();
  const int64_t cols = c.channels * c.patch_size * c.patch_size;
  grow_buffer(ws.patches, count * grid * grid * cols);
  grow_buffer(ws.hidden, count * tokens * width);
  grow_buffer(ws.pooled, count * width);
  float* hidden = ws.hidden.data();  // [count * tokens, width]
  unfold_patches(c, pixels, count, ws.patches.data());
  embed_patches(c, w, ws.patches.data(), count, hidden);
  PackedSequences seqs;
  for (int64_t n = 0; n <= count; ++n) seqs.offsets.push_back(n * tokens);
  if (!c.class_token()) {
    encoder_forward(c, w.layers, seqs, /*causal=*/false, hidden, ws.encoder);
    probe_pool(c, w, hidden, count, out, ws);
    return;
  }

  layer_norm(hidden, count * tokens, width, width, w.pre_ln.gamma, w.pre_ln.beta, c.layer_norm_eps,
             hidden, width);
  std::vector<int64_t> class_rows;  // only the class token of each image is read afterwards
  for (int64_t n = 0; n < count; ++n) class_rows.push_back(n * tokens);
  encoder_forward(c, w.layers, seqs, /*causal=*/false, hidden, ws.encoder, &class_rows);

  // Class token of each image -> post layer norm -> projection.
  layer_norm(hidden, count, width, tokens * width, w.post_ln.gamma, w.post_ln.beta,
             c.layer_norm_eps, ws.pooled.data(), width);
  linear(count, ws.pooled.data(), width, w.projection.weight, 0.0f, out, proj_dim);
}

}  // namespace clipsearch
