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
        const float* pos = w.position_embedding + (t + c.position_offset) * width;
        float* dst = hidden + (seqs.offsets[s] + t) * width;
        weight_row(w.token_embedding, texts[static_cast<size_t>(s)][static_cast<size_t>(t)], dst);
        for (int64_t i = 0; i < width; ++i) dst[i] = (dst[i] + w.token_type_embedding[i]) + pos[i];
      }
    }
  });
  layer_norm(hidden, seqs.rows(), width, width, w.embedding_ln.gamma, w.embedding_ln.beta,
             c.layer_norm_eps, hidden, width);
}

// pooled[s] = the mean of sequence s's rows of hidden.
// ref: open_clip MeanPooler: (last_hidden_state * mask).sum(1) / mask.sum(-1).
void mean_pool(const PackedSequences& seqs, int64_t width, const float* hidden, float* pooled) {
  for (int64_t s = 0; s < seqs.count(); ++s) {
    float* out = pooled + s * width;
    std::fill(out, out + width, 0.0f);
    for (int64_t r = seqs.offsets[s]; r < seqs.offsets[s + 1]; ++r) {
      for (int64_t i = 0; i < width; ++i) out[i] += hidden[r * width + i];
    }
    const float count = static_cast<float>(seqs.length(s));
    for (int64_t i = 0; i < width; ++i) out[i] /= count;
  }
}

// out = the projection of pooled [count, width].
void project(const TextConfig& c, const TextWeights& w, int64_t proj_dim, int64_t count,
             float* pooled, float* out, std::vector<float>& scratch) {
  switch (c.projection) {
    case TextProjection::kIdentity:
      std::copy(pooled, pooled + count * c.width, out);
      return;
    case TextProjection::kLinear:
      linear(count, pooled, c.width, w.projection.weight, 0.0f, out, proj_dim);
      return;
    case TextProjection::kMlp: {
      // ref: HFTextEncoder.proj = Sequential(Linear, nn.GELU() (exact), Linear).
      const int64_t hidden = w.projection.weight.out();
      grow_buffer(scratch, count * hidden);
      linear(count, pooled, c.width, w.projection.weight, 0.0f, scratch.data(), hidden);
      bias_activation(scratch.data(), count, hidden, hidden, nullptr, Activation::kGelu);
      linear(count, scratch.data(), hidden, w.projection_out.weight, 0.0f, out, proj_dim);
      return;
    }
  }
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
  // On the CPU only (host memory): model/device.cpp keeps BERT text towers there.
  Backend& b = *ws.backend;
  float* hidden = b.buffer(Buffer::kHidden, seqs.rows() * width);  // [rows, width]
  float* pooled = b.buffer(Buffer::kPooled, count * width);
  embed_tokens(c, w, texts, seqs, hidden);

  if (c.pooling == TextPooling::kMean) {
    encoder_forward(c, w.layers, seqs, /*causal=*/false, hidden, b);
    mean_pool(seqs, width, hidden, pooled);
  } else {
    // Only the first token of each text is read after the last layer.
    // ref: get_text_features: text_outputs[0][:, 0, :].
    std::vector<int64_t> pooled_rows(seqs.offsets.begin(), seqs.offsets.end() - 1);
    encoder_forward(c, w.layers, seqs, /*causal=*/false, hidden, b, &pooled_rows);
    b.gather_rows(hidden, width, pooled_rows.data(), count, width, pooled);
  }
  project(c, w, proj_dim, count, pooled, out, ws.projection_hidden);
}

}  // namespace clipsearch
