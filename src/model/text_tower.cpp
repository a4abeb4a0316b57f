#include <algorithm>

#include "core/thread_pool.h"
#include "model/towers.h"
#include "tensor/ops.h"
#include "tensor/weight_linear.h"

namespace clipsearch {

int64_t pooled_position(const TextConfig& c, const std::vector<int32_t>& ids) {
  // ref: SiglipTextTransformer.forward: last_hidden_state[:, -1, :] (the tokenizer pads every
  // text to the context length, so this is the last pad token, which has seen the whole text).
  if (c.tower == TextTower::kSiglip) return static_cast<int64_t>(ids.size()) - 1;
  // ref: transformers 4.25 CLIPTextTransformer pools at input_ids.argmax(-1), the first
  // occurrence of the highest id (<|endoftext|> is the highest id of the CLIP vocabulary).
  return std::max_element(ids.begin(), ids.end()) - ids.begin();
}

void clip_text_forward(const TextConfig& c, const TextWeights& w, int64_t proj_dim,
                       const std::vector<std::vector<int32_t>>& texts, float* out,
                       TowerWorkspace& ws) {
  const int64_t width = c.width;
  const int64_t count = static_cast<int64_t>(texts.size());
  // Each text keeps only the tokens up to its pooled position: with CLIP's causal mask, later
  // tokens cannot change it, so the batch is packed without padding. SigLIP pools its last
  // token, so every token is kept.
  // ref: SiglipTextTransformer.forward: "SigLIP's text model does not use a causal mask".
  const bool causal = c.tower == TextTower::kClip;
  PackedSequences seqs;
  seqs.offsets.push_back(0);
  for (const auto& ids : texts)
    seqs.offsets.push_back(seqs.offsets.back() + pooled_position(c, ids) + 1);
  const int64_t rows = seqs.rows();
  grow_buffer(ws.hidden, rows * width);
  grow_buffer(ws.pooled, count * width);
  float* hidden = ws.hidden.data();  // [rows, width]

  parallel_for(count, [&](int64_t begin, int64_t end) {
    for (int64_t s = begin; s < end; ++s) {
      for (int64_t t = 0; t < seqs.length(s); ++t) {
        const float* pos = w.position_embedding + t * width;
        float* dst = hidden + (seqs.offsets[s] + t) * width;
        weight_row(w.token_embedding, texts[s][t], dst);
        for (int64_t i = 0; i < width; ++i) dst[i] += pos[i];
      }
    }
  });
  std::vector<int64_t> pooled_rows;  // the last token of each packed text is its pooled one
  for (int64_t s = 0; s < count; ++s) pooled_rows.push_back(seqs.offsets[s + 1] - 1);
  encoder_forward(c, w.layers, seqs, causal, hidden, ws.encoder, &pooled_rows);

  // The last row of each packed sequence is its pooled token -> final layer norm -> projection.
  for (int64_t s = 0; s < count; ++s) {
    layer_norm(hidden + (seqs.offsets[s + 1] - 1) * width, 1, width, width, w.final_ln.gamma,
               w.final_ln.beta, c.layer_norm_eps, ws.pooled.data() + s * width, width);
  }
  linear(count, ws.pooled.data(), width, w.projection.weight, 0.0f, out, proj_dim);
  if (w.projection.bias != nullptr) {  // SigLIP's head
    bias_activation(out, count, proj_dim, proj_dim, w.projection.bias, Activation::kIdentity);
  }
}

void text_forward(const TextConfig& c, const TextWeights& w, int64_t proj_dim,
                  const std::vector<std::vector<int32_t>>& texts, float* out, TowerWorkspace& ws) {
  if (c.tower == TextTower::kBert) {
    bert_text_forward(c, w, proj_dim, texts, out, ws);
  } else {
    clip_text_forward(c, w, proj_dim, texts, out, ws);
  }
}

}  // namespace clipsearch
