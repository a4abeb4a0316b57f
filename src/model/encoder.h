// The transformer encoder shared by every tower: residual blocks of multi-head self-attention
// and an MLP, run over a batch of sequences packed row after row.
//
// ref: transformers CLIPEncoderLayer / open_clip ResidualAttentionBlock (pre-norm):
//   h = h + out_proj(attention(layer_norm1(h)));  h = h + fc2(act(fc1(layer_norm2(h))))
// BertLayer (post-norm, TransformerConfig::post_norm):
//   h = layer_norm1(h + out_proj(attention(h)));  h = layer_norm2(h + fc2(act(fc1(h))))
// Each step is its own call, in that order (encoder.cpp's encoder_layer). Fusing the residual
// adds into the matrix products and the layer norms was measured and did not pay: at most ~2%
// more images/s and no difference in texts/s on ViT-B/32 (AMD EPYC, 2 cores; bench/RESULTS.md,
// issue 13).
#pragma once

#include <cstdint>
#include <vector>

#include "model/backend.h"
#include "model/clip_config.h"
#include "model/clip_weights.h"

namespace clipsearch {

// Enlarges a scratch buffer to at least `size` elements; never shrinks it.
inline void grow_buffer(std::vector<float>& buffer, int64_t size) {
  if (buffer.size() < static_cast<size_t>(size)) buffer.resize(static_cast<size_t>(size));
}

// A batch of sequences stored back to back: sequence s owns rows [offsets[s], offsets[s+1]).
struct PackedSequences {
  std::vector<int64_t> offsets;  // size = count + 1
  int64_t count() const { return static_cast<int64_t>(offsets.size()) - 1; }
  int64_t rows() const { return offsets.back(); }
  int64_t length(int64_t s) const { return offsets[s + 1] - offsets[s]; }
  int64_t max_length() const;
  // Its attention over `config`'s heads.
  AttentionShape attention(const TransformerConfig& config, bool causal) const;
};

// Runs every layer over hidden [rows, width] (backend memory) in place, on `backend`, whose
// buffers kNormed, kQkv, kContext, kMlp, kBranch and kPooled it uses. `causal`: each token attends
// only to itself and earlier tokens of its sequence (the text tower). pooled_rows (one absolute row
// per sequence, or null for all rows): the only rows whose final output the caller reads. The last
// layer then computes keys and values for every row but queries, out-projection and MLP for those
// rows alone; the other rows of `hidden` keep the previous layer's output.
void encoder_forward(const TransformerConfig& config,
                     const std::vector<EncoderLayerWeights>& layers,
                     const PackedSequences& sequences, bool causal, float* hidden, Backend& backend,
                     const std::vector<int64_t>* pooled_rows = nullptr);

// The MLP half of a pre-norm block alone, on rows of h [rows, width] in place:
// h = h + fc2(act(fc1(ln2(h)))). ref: SiglipMultiheadAttentionPoolingHead.forward after its
// attention: residual + mlp(layernorm(hidden_state)).
void encoder_mlp_block(const TransformerConfig& config, const EncoderLayerWeights& layer,
                       int64_t rows, float* h, Backend& backend);

}  // namespace clipsearch
