#include <algorithm>

#include "model/attention_pool.h"
#include "model/towers.h"
#include "tensor/ops.h"
#include "tensor/weight_linear.h"

namespace clipsearch {
namespace {

// hidden [count * tokens, width] = [class_embedding;] patches @ conv^T [+ conv bias] +
// position_embedding, the class token first when the tower has one; patches are the pixels
// [count, channels, size, size] unfolded (Backend::unfold_patches), so that the patch conv
// (stride = kernel) is one matrix product per image.
// ref: CLIPVisionEmbeddings.forward; SiglipVisionEmbeddings.forward (no class token, bias).
void embed_patches(Backend& b, const VisionConfig& c, const VisionWeights& w, const float* pixels,
                   int64_t count, float* hidden) {
  const int64_t width = c.width, tokens = c.tokens(), first = c.class_token() ? 1 : 0;
  const int64_t per_image = tokens - first;
  const int64_t cols = c.channels * c.patch_size * c.patch_size;
  float* patches = b.buffer(Buffer::kPatches, count * per_image * cols);
  b.unfold_patches(pixels, count, c.channels, c.image_size, c.patch_size, patches);
  b.position_rows(hidden, count, tokens, width, first ? w.class_embedding : nullptr,
                  w.position_embedding);
  b.linear_blocks(count, per_image, patches, per_image * cols, cols, w.patch_weight, 1.0f,
                  hidden + first * width, tokens * width, width);
  if (w.patch_bias != nullptr) {
    for (int64_t n = 0; n < count; ++n) {
      b.bias_activation(hidden + (n * tokens + first) * width, per_image, width, width,
                        w.patch_bias, Activation::kIdentity);
    }
  }
}

// out [count, width] = SigLIP's pooled output of every image's rows of hidden.
// ref: SiglipVisionTransformer.forward from post_layernorm on, and
// SiglipMultiheadAttentionPoolingHead.forward: attention(probe, h, h), then
// residual + mlp(layernorm(.)).
// On the CPU only (host memory): model/device.cpp keeps SigLIP's towers there.
void probe_pool(const VisionConfig& c, const VisionWeights& w, float* hidden, int64_t count,
                float* out, TowerWorkspace& ws) {
  const int64_t tokens = c.tokens(), width = c.width;
  layer_norm(hidden, count * tokens, width, width, w.post_ln.gamma, w.post_ln.beta,
             c.layer_norm_eps, hidden, width);
  attention_pool(c.heads, w.probe.block, hidden, count, tokens, width, out, ws.pooling,
                 w.probe.probe);
  encoder_mlp_block(c, w.probe.block, count, out, *ws.backend);
}

}  // namespace

void vision_forward(const VisionConfig& c, const VisionWeights& w, int64_t proj_dim,
                    const float* pixels, int64_t count, float* out, TowerWorkspace& ws) {
  Backend& b = *ws.backend;
  const int64_t width = c.width, tokens = c.tokens();
  float* hidden = b.buffer(Buffer::kHidden, count * tokens * width);  // [count * tokens, width]
  const float* input =
      b.to_backend(pixels, count * c.channels * c.image_size * c.image_size, Buffer::kInput);
  embed_patches(b, c, w, input, count, hidden);
  PackedSequences seqs;
  for (int64_t n = 0; n <= count; ++n) seqs.offsets.push_back(n * tokens);
  if (!c.class_token()) {
    encoder_forward(c, w.layers, seqs, /*causal=*/false, hidden, b);
    probe_pool(c, w, hidden, count, out, ws);
    return;
  }

  b.layer_norm(hidden, count * tokens, width, width, w.pre_ln.gamma, w.pre_ln.beta,
               c.layer_norm_eps, hidden, width);
  std::vector<int64_t> class_rows;  // only the class token of each image is read afterwards
  for (int64_t n = 0; n < count; ++n) class_rows.push_back(n * tokens);
  encoder_forward(c, w.layers, seqs, /*causal=*/false, hidden, b, &class_rows);

  // Class token of each image -> post layer norm -> projection.
  float* pooled = b.buffer(Buffer::kPooled, count * width);
  float* embeddings = b.buffer(Buffer::kOutput, count * proj_dim);
  b.layer_norm(hidden, count, width, tokens * width, w.post_ln.gamma, w.post_ln.beta,
               c.layer_norm_eps, pooled, width);
  b.linear(count, pooled, width, w.projection.weight, 0.0f, embeddings, proj_dim);
  b.to_host(embeddings, count * proj_dim, out);
}

}  // namespace clipsearch
