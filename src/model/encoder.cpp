#include "model/encoder.h"

#include <algorithm>

namespace clipsearch {
namespace {

// qkv[r] = x[r] @ [Wq; Wk; Wv]^T + [bq; bk; bv]   -> [rows, 3 * width]
// ref: CLIPAttention.forward: q_proj, k_proj, v_proj (open_clip: one in_proj_weight).
void qkv_projection(Backend& b, const EncoderLayerWeights& l, int64_t rows, int64_t width,
                    const float* x, float* qkv) {
  const int64_t ld = 3 * width;
  if (l.qkv_fused) {
    b.fill_rows(qkv, rows, ld, ld, l.q_bias);
  } else {
    b.fill_rows(qkv, rows, width, ld, l.q_bias);
    b.fill_rows(qkv + width, rows, width, ld, l.k_bias);
    b.fill_rows(qkv + 2 * width, rows, width, ld, l.v_bias);
  }
  b.linear(rows, x, width, l.q_weight, 1.0f, qkv, ld);  // [3 * width, width] when fused
  if (!l.qkv_fused) {
    b.linear(rows, x, width, l.k_weight, 1.0f, qkv + width, ld);
    b.linear(rows, x, width, l.v_weight, 1.0f, qkv + 2 * width, ld);
  }
}

// out = fc2(act(fc1(x))) without fc2's bias, which the residual add applies.
// x: [rows, width]; hidden: [rows, mlp_width] scratch; out: [rows, width].
// ref: CLIPMLP.forward (open_clip: c_fc, gelu or QuickGELU, c_proj).
void mlp(Backend& b, const TransformerConfig& c, const EncoderLayerWeights& l, int64_t rows,
         const float* x, float* hidden, float* out) {
  const int64_t w = c.width, m = c.mlp_width;
  b.linear(rows, x, w, l.fc1.weight, 0.0f, hidden, m);
  b.bias_activation(hidden, rows, m, m, l.fc1.bias, c.activation);
  b.linear(rows, hidden, m, l.fc2.weight, 0.0f, out, w);
}

// The input of a block's sublayer: LN(h) into `normed` (pre-norm), or h itself (post-norm).
const float* sublayer_input(Backend& b, const TransformerConfig& c, const LayerNormWeights& ln,
                            const float* h, int64_t rows) {
  if (c.post_norm) return h;
  float* normed = b.buffer(Buffer::kNormed, rows * c.width);
  b.layer_norm(h, rows, c.width, c.width, ln.gamma, ln.beta, c.layer_norm_eps, normed, c.width);
  return normed;
}

// h = h + branch + bias, then (post-norm) h = LN(h).
void sublayer_residual(Backend& b, const TransformerConfig& c, const LayerNormWeights& ln, float* h,
                       int64_t rows, const float* branch, const float* bias) {
  b.add_residual(h, rows, c.width, c.width, branch, c.width, bias);
  if (c.post_norm) {
    b.layer_norm(h, rows, c.width, c.width, ln.gamma, ln.beta, c.layer_norm_eps, h, c.width);
  }
}

// One layer over every row of the residual stream h [rows, width].
// ref: transformers 4.25.1 CLIPEncoderLayer.forward (pre-norm), step by step:
//   residual = hidden_states                          h itself, updated in place
//   hidden_states = self.layer_norm1(hidden_states)   sublayer_input -> normed
//   hidden_states, _ = self.self_attn(hidden_states)  qkv_projection, attention, out_proj -> branch
//   hidden_states = residual + hidden_states          sublayer_residual (with out_proj's bias)
//   ... and the same with layer_norm2, self.mlp and fc2's bias. open_clip's
//   ResidualAttentionBlock: x = x + attn(ln_1(x)); x = x + mlp(ln_2(x)).
// Post-norm, ref: BertLayer (ChineseCLIPTextLayer): BertSelfOutput LayerNorm(dense(context) +
// input), BertOutput LayerNorm(dense(intermediate) + attention_output).
void encoder_layer(Backend& b, const TransformerConfig& c, const EncoderLayerWeights& l,
                   const PackedSequences& seqs, bool causal, float* h) {
  const int64_t rows = seqs.rows(), w = c.width;
  float* qkv = b.buffer(Buffer::kQkv, rows * 3 * w);
  float* context = b.buffer(Buffer::kContext, rows * w);
  float* branch = b.buffer(Buffer::kBranch, rows * w);  // out_proj or mlp output, before its bias
  float* hidden = b.buffer(Buffer::kMlp, rows * c.mlp_width);

  // h = h + out_proj(attention(layer_norm1(h)))
  qkv_projection(b, l, rows, w, sublayer_input(b, c, l.ln1, h, rows), qkv);
  b.attention(seqs.attention(c, causal), qkv, context);
  b.linear(rows, context, w, l.out.weight, 0.0f, branch, w);
  sublayer_residual(b, c, l.ln1, h, rows, branch, l.out.bias);

  // h = h + mlp(layer_norm2(h))
  mlp(b, c, l, rows, sublayer_input(b, c, l.ln2, h, rows), hidden, branch);
  sublayer_residual(b, c, l.ln2, h, rows, branch, l.fc2.bias);
}

// The same layer when only pooled_rows (one per sequence) are read afterwards: keys and values
// come from every row, but attention, out-projection and MLP run for the pooled rows alone, on
// a compact copy of their residual stream that is written back into h at the end.
void encoder_layer_pooled(Backend& b, const TransformerConfig& c, const EncoderLayerWeights& l,
                          const PackedSequences& seqs, bool causal,
                          const std::vector<int64_t>& pooled_rows, float* h) {
  const int64_t rows = seqs.rows(), w = c.width, count = seqs.count();
  float* qkv = b.buffer(Buffer::kQkv, rows * 3 * w);
  float* context = b.buffer(Buffer::kContext, count * w);
  float* branch = b.buffer(Buffer::kBranch, count * w);
  float* pooled = b.buffer(Buffer::kPooled, count * w);  // residual stream of the pooled rows
  float* hidden = b.buffer(Buffer::kMlp, count * c.mlp_width);
  b.gather_rows(h, w, pooled_rows.data(), count, w, pooled);

  // pooled = pooled + out_proj(attention(layer_norm1(h))), queries from the pooled rows only
  qkv_projection(b, l, rows, w, sublayer_input(b, c, l.ln1, h, rows), qkv);
  b.attention_rows(seqs.attention(c, causal), pooled_rows.data(), qkv, context);
  b.linear(count, context, w, l.out.weight, 0.0f, branch, w);
  sublayer_residual(b, c, l.ln1, pooled, count, branch, l.out.bias);

  // pooled = pooled + mlp(layer_norm2(pooled))
  mlp(b, c, l, count, sublayer_input(b, c, l.ln2, pooled, count), hidden, branch);
  sublayer_residual(b, c, l.ln2, pooled, count, branch, l.fc2.bias);

  b.scatter_rows(pooled, pooled_rows.data(), count, w, h, w);
}

}  // namespace

int64_t PackedSequences::max_length() const {
  int64_t m = 0;
  for (int64_t s = 0; s < count(); ++s) m = std::max(m, length(s));
  return m;
}

AttentionShape PackedSequences::attention(const TransformerConfig& c, bool causal) const {
  AttentionShape a;
  a.heads = c.heads;
  a.head_dim = c.head_dim();
  a.offsets = offsets.data();
  a.count = count();
  a.max_length = max_length();
  a.causal = causal;
  return a;
}

void encoder_mlp_block(const TransformerConfig& c, const EncoderLayerWeights& l, int64_t rows,
                       float* h, Backend& b) {
  float* hidden = b.buffer(Buffer::kMlp, rows * c.mlp_width);
  float* branch = b.buffer(Buffer::kBranch, rows * c.width);
  mlp(b, c, l, rows, sublayer_input(b, c, l.ln2, h, rows), hidden, branch);
  sublayer_residual(b, c, l.ln2, h, rows, branch, l.fc2.bias);
}

void encoder_forward(const TransformerConfig& c, const std::vector<EncoderLayerWeights>& layers,
                     const PackedSequences& seqs, bool causal, float* hidden, Backend& b,
                     const std::vector<int64_t>* pooled_rows) {
  for (size_t i = 0; i < layers.size(); ++i) {
    if (pooled_rows != nullptr && i + 1 == layers.size()) {
      encoder_layer_pooled(b, c, layers[i], seqs, causal, *pooled_rows, hidden);
    } else {
      encoder_layer(b, c, layers[i], seqs, causal, hidden);
    }
  }
}

}  // namespace clipsearch
