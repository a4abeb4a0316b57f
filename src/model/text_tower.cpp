#include <algorithm>

#include "model/towers.h"
#include "tensor/ops.h"

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
  Backend& b = *ws.backend;
  float* hidden = b.buffer(Buffer::kHidden, rows * width);  // [rows, width]

  std::vector<int32_t> ids;        // every packed token's id
  std::vector<int64_t> positions;  // and its position in its text
  ids.reserve(static_cast<size_t>(rows));
  positions.reserve(static_cast<size_t>(rows));
  for (int64_t s = 0; s < count; ++s) {
    for (int64_t t = 0; t < seqs.length(s); ++t) {
      ids.push_back(texts[static_cast<size_t>(s)][static_cast<size_t>(t)]);
      positions.push_back(t);
    }
  }
  b.embed_tokens(w.token_embedding, ids.data(), positions.data(), rows, w.position_embedding, width,
                 hidden);
  std::vector<int64_t> pooled_rows;  // the last token of each packed text is its pooled one
  for (int64_t s = 0; s < count; ++s) pooled_rows.push_back(seqs.offsets[s + 1] - 1);
  encoder_forward(c, w.layers, seqs, causal, hidden, b, &pooled_rows);

  // The last row of each packed sequence is its pooled token -> final layer norm -> projection.
  float* pooled = b.buffer(Buffer::kPooled, count * width);
  float* embeddings = b.buffer(Buffer::kOutput, count * proj_dim);
  b.gather_rows(hidden, width, pooled_rows.data(), count, width, pooled);
  b.layer_norm(pooled, count, width, width, w.final_ln.gamma, w.final_ln.beta, c.layer_norm_eps,
               pooled, width);
  b.linear(count, pooled, width, w.projection.weight, 0.0f, embeddings, proj_dim);
  if (w.projection.bias != nullptr) {  // SigLIP's head
    b.bias_activation(embeddings, count, proj_dim, proj_dim, w.projection.bias,
                      Activation::kIdentity);
  }
  b.to_host(embeddings, count * proj_dim, out);
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
