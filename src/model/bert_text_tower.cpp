// The BERT text tower of Chinese-CLIP (towers.h, bert_text_forward).
#include "core/thread_pool.h"
#include "model/towers.h"
#include "tensor/ops.h"
#include "tensor/weight_linear.h"

namespace clipsearch {
namespace {

// hidden[row] = LN(word[id] + token_type[0] + position[t]) for every token of every text.
// ref: ChineseCLIPTextEmbeddings.forward: inputs_embeds + token_type_embeddings, then
// + position_embeddings (that order of float additions), then LayerNorm.
void embed_tokens(const TextConfig& c, const TextWeights& w,
                  const std::vector<std::vector<int32_t>>& texts, const PackedSequences& seqs,
                  float* hidden) {
  const int64_t width = c.width;
  parallel_for(seqs.count(), [&](int64_t begin, int64_t end) {
    for (int64_t s = begin; s < end; ++s) {
      for (int64_t t = 0; t < seqs.length(s); ++t) {
        const float* pos = w.position_embedding + t * width;
        float* dst = hidden + (seqs.offsets[s] + t) * width;
        weight_row(w.token_embedding, texts[static_cast<size_t>(s)][static_cast<size_t>(t)], dst);
        for (int64_t i = 0; i < width; ++i) dst[i] = (dst[i] + w.token_type_embedding[i]) + pos[i];
      }
    }
  });
  layer_norm(hidden, seqs.rows(), width, width, w.embedding_ln.gamma, w.embedding_ln.beta,
             c.layer_norm_eps, hidden, width);
}

}  // namespace

void bert_text_forward(const TextConfig& c, const TextWeights& w, int64_t proj_dim,
                       const std::vector<std::vector<int32_t>>& texts, float* out,
                       TowerWorkspace& ws) {
  const int64_t width = c.width;
  const int64_t count = static_cast<int64_t>(texts.size());
  PackedSequences seqs;
  seqs.offsets.push_back(0);
  for (const auto& ids : texts) {
    seqs.offsets.push_back(seqs.offsets.back() + static_cast<int64_t>(ids.size()));
  }
  grow_buffer(ws.hidden, seqs.rows() * width);
  grow_buffer(ws.pooled, count * width);
  float* hidden = ws.hidden.data();  // [rows, width]
  embed_tokens(c, w, texts, seqs, hidden);

  // Only the first token of each text is read after the last layer.
  std::vector<int64_t> pooled_rows(seqs.offsets.begin(), seqs.offsets.end() - 1);
  encoder_forward(c, w.layers, seqs, /*causal=*/false, hidden, ws.encoder, &pooled_rows);

  // ref: get_text_features: text_outputs[0][:, 0, :] -> text_projection (no bias).
  for (int64_t s = 0; s < count; ++s) {
    const float* cls = hidden + pooled_rows[static_cast<size_t>(s)] * width;
    std::copy(cls, cls + width, ws.pooled.data() + s * width);
  }
  linear(count, ws.pooled.data(), width, w.projection.weight, 0.0f, out, proj_dim);
}

}  // namespace clipsearch
