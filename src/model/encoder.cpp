#include "model/encoder.h"

#include <algorithm>
#include <atomic>
#include <cmath>

#include "core/thread_pool.h"
#include "tensor/gemm.h"
#include "tensor/ops.h"
#include "tensor/weight_linear.h"

namespace clipsearch {
namespace {

// qkv[r] = x[r] @ [Wq; Wk; Wv]^T + [bq; bk; bv]   -> [rows, 3 * width]
// ref: CLIPAttention.forward: q_proj, k_proj, v_proj (open_clip: one in_proj_weight).
void qkv_projection(const EncoderLayerWeights& l, int64_t rows, int64_t width, const float* x,
                    float* qkv) {
  const int64_t ld = 3 * width;
  parallel_for(
      rows,
      [&](int64_t begin, int64_t end) {
        for (int64_t r = begin; r < end; ++r) {
          float* row = qkv + r * ld;
          std::copy(l.q_bias, l.q_bias + width, row);
          std::copy(l.k_bias, l.k_bias + width, row + width);
          std::copy(l.v_bias, l.v_bias + width, row + 2 * width);
        }
      },
      16);
  linear(rows, x, width, l.q_weight, 1.0f, qkv, ld);  // [3 * width, width] when fused
  if (!l.qkv_fused) {
    linear(rows, x, width, l.k_weight, 1.0f, qkv + width, ld);
    linear(rows, x, width, l.v_weight, 1.0f, qkv + 2 * width, ld);
  }
}

// Calls fn(seq, head, scratch) for every (sequence, head) pair of the batch, spread over the
// pool in at most one chunk per thread; each chunk gets its own `slot_floats` of `scores`.
template <class Fn>
void for_each_sequence_head(const TransformerConfig& c, const PackedSequences& seqs,
                            int64_t slot_floats, std::vector<float>& scores, Fn fn) {
  const int64_t tasks = seqs.count() * c.heads;
  const int64_t slots = std::min<int64_t>(num_threads(), tasks);
  grow_buffer(scores, slots * slot_floats);
  std::atomic<int64_t> next_slot{0};
  parallel_for(
      tasks,
      [&](int64_t begin, int64_t end) {
        float* scratch = scores.data() + next_slot.fetch_add(1) * slot_floats;
        for (int64_t task = begin; task < end; ++task) fn(task / c.heads, task % c.heads, scratch);
      },
      (tasks + slots - 1) / slots);  // at most `slots` chunks, one scratch slot each
}

float attention_scale(const TransformerConfig& c) {
  return 1.0f / std::sqrt(static_cast<float>(c.head_dim()));
}

// context[s, h] = softmax(q k^T / sqrt(head_dim) [+ causal mask]) v, for every sequence s and
// head h, one (s, h) pair per task.
// ref: CLIPAttention.forward (q scaled by head_dim^-0.5, causal mask of -inf above the diagonal).
void attention(const TransformerConfig& c, const PackedSequences& seqs, bool causal,
               const float* qkv, float* context, std::vector<float>& scores) {
  const int64_t width = c.width, head_dim = c.head_dim(), ld = 3 * width;
  const int64_t max_len = seqs.max_length();
  const float scale = attention_scale(c);
  for_each_sequence_head(
      c, seqs, max_len * max_len, scores, [&](int64_t seq, int64_t head, float* s) {
        const int64_t len = seqs.length(seq);
        const float* q = qkv + seqs.offsets[seq] * ld + head * head_dim;  // [len, head_dim]
        const float* k = q + width;
        const float* v = q + 2 * width;
        gemm_single(len, len, head_dim, scale, q, ld, k, ld, true, 0.0f, s, len);  // [len, len]
        for (int64_t i = 0; i < len; ++i) {
          float* row = s + i * len;
          const int64_t visible = causal ? i + 1 : len;
          softmax_row(row, visible);
          std::fill(row + visible, row + len, 0.0f);
        }
        float* out = context + seqs.offsets[seq] * width + head * head_dim;
        gemm_single(len, head_dim, len, 1.0f, s, len, v, ld, false, 0.0f, out, width);
      });
}

// The last layer's attention for one query row per sequence: context[s] (compact, [count,
// width]) = softmax(q[pooled_rows[s]] k^T / sqrt(head_dim)) v over the keys that row may see.
void attention_pooled(const TransformerConfig& c, const PackedSequences& seqs, bool causal,
                      const std::vector<int64_t>& pooled_rows, const float* qkv, float* context,
                      std::vector<float>& scores) {
  const int64_t width = c.width, head_dim = c.head_dim(), ld = 3 * width;
  const float scale = attention_scale(c);
  for_each_sequence_head(
      c, seqs, seqs.max_length(), scores, [&](int64_t seq, int64_t head, float* s) {
        const int64_t first = seqs.offsets[seq];
        const int64_t row = pooled_rows[static_cast<size_t>(seq)];
        const int64_t keys = causal ? row - first + 1 : seqs.length(seq);
        const float* q = qkv + row * ld + head * head_dim;            // [1, head_dim]
        const float* k = qkv + first * ld + width + head * head_dim;  // [keys, head_dim]
        const float* v = k + width;
        gemm_single(1, keys, head_dim, scale, q, ld, k, ld, true, 0.0f, s, keys);
        softmax_row(s, keys);
        gemm_single(1, head_dim, keys, 1.0f, s, keys, v, ld, false, 0.0f,
                    context + seq * width + head * head_dim, width);
      });
}

// out = fc2(act(fc1(x))) without fc2's bias, which the residual add applies.
// x: [rows, width]; hidden: [rows, mlp_width] scratch; out: [rows, width].
// ref: CLIPMLP.forward (open_clip: c_fc, gelu or QuickGELU, c_proj).
void mlp(const TransformerConfig& c, const EncoderLayerWeights& l, int64_t rows, const float* x,
         float* hidden, float* out) {
  const int64_t w = c.width, m = c.mlp_width;
  linear(rows, x, w, l.fc1.weight, 0.0f, hidden, m);
  bias_activation(hidden, rows, m, m, l.fc1.bias, c.activation);
  linear(rows, hidden, m, l.fc2.weight, 0.0f, out, w);
}

// The input of a block's sublayer: LN(h) into `normed` (pre-norm), or h itself (post-norm).
const float* sublayer_input(const TransformerConfig& c, const LayerNormWeights& ln, const float* h,
                            int64_t rows, float* normed) {
  if (c.post_norm) return h;
  layer_norm(h, rows, c.width, c.width, ln.gamma, ln.beta, c.layer_norm_eps, normed, c.width);
  return normed;
}

// h = h + branch + bias, then (post-norm) h = LN(h).
void sublayer_residual(const TransformerConfig& c, const LayerNormWeights& ln, float* h,
                       int64_t rows, const float* branch, const float* bias) {
  add_residual(h, rows, c.width, c.width, branch, c.width, bias);
  if (c.post_norm) {
    layer_norm(h, rows, c.width, c.width, ln.gamma, ln.beta, c.layer_norm_eps, h, c.width);
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
void encoder_layer(const TransformerConfig& c, const EncoderLayerWeights& l,
                   const PackedSequences& seqs, bool causal, float* h, EncoderWorkspace& ws) {
  const int64_t rows = seqs.rows(), w = c.width;
  float* qkv = ws.qkv.data();          // [rows, 3 * width]
  float* context = ws.context.data();  // [rows, width]
  float* branch = ws.branch.data();    // [rows, width] out_proj or mlp output, before its bias

  // h = h + out_proj(attention(layer_norm1(h)))
  qkv_projection(l, rows, w, sublayer_input(c, l.ln1, h, rows, ws.normed.data()), qkv);
  attention(c, seqs, causal, qkv, context, ws.scores);
  linear(rows, context, w, l.out.weight, 0.0f, branch, w);
  sublayer_residual(c, l.ln1, h, rows, branch, l.out.bias);

  // h = h + mlp(layer_norm2(h))
  mlp(c, l, rows, sublayer_input(c, l.ln2, h, rows, ws.normed.data()), ws.mlp.data(), branch);
  sublayer_residual(c, l.ln2, h, rows, branch, l.fc2.bias);
}

// The same layer when only pooled_rows (one per sequence) are read afterwards: keys and values
// come from every row, but attention, out-projection and MLP run for the pooled rows alone, on
// a compact copy of their residual stream that is written back into h at the end.
void encoder_layer_pooled(const TransformerConfig& c, const EncoderLayerWeights& l,
                          const PackedSequences& seqs, bool causal,
                          const std::vector<int64_t>& pooled_rows, float* h, EncoderWorkspace& ws) {
  const int64_t rows = seqs.rows(), w = c.width, count = seqs.count();
  grow_buffer(ws.pooled, count * w);
  float* qkv = ws.qkv.data();          // [rows, 3 * width]
  float* context = ws.context.data();  // [count, width]
  float* branch = ws.branch.data();    // [count, width]
  float* pooled = ws.pooled.data();    // [count, width] residual stream of the pooled rows
  for (int64_t s = 0; s < count; ++s) {
    const float* src = h + pooled_rows[static_cast<size_t>(s)] * w;
    std::copy(src, src + w, pooled + s * w);
  }

  // pooled = pooled + out_proj(attention(layer_norm1(h))), queries from the pooled rows only
  qkv_projection(l, rows, w, sublayer_input(c, l.ln1, h, rows, ws.normed.data()), qkv);
  attention_pooled(c, seqs, causal, pooled_rows, qkv, context, ws.scores);
  linear(count, context, w, l.out.weight, 0.0f, branch, w);
  sublayer_residual(c, l.ln1, pooled, count, branch, l.out.bias);

  // pooled = pooled + mlp(layer_norm2(pooled))
  mlp(c, l, count, sublayer_input(c, l.ln2, pooled, count, ws.normed.data()), ws.mlp.data(),
      branch);
  sublayer_residual(c, l.ln2, pooled, count, branch, l.fc2.bias);

  for (int64_t s = 0; s < count; ++s) {
    std::copy(pooled + s * w, pooled + (s + 1) * w, h + pooled_rows[static_cast<size_t>(s)] * w);
  }
}

}  // namespace

int64_t PackedSequences::max_length() const {
  int64_t m = 0;
  for (int64_t s = 0; s < count(); ++s) m = std::max(m, length(s));
  return m;
}

void encoder_mlp_block(const TransformerConfig& c, const EncoderLayerWeights& l, int64_t rows,
                       float* h, EncoderWorkspace& ws) {
  grow_buffer(ws.normed, rows * c.width);
  grow_buffer(ws.mlp, rows * c.mlp_width);
  grow_buffer(ws.branch, rows * c.width);
  mlp(c, l, rows, sublayer_input(c, l.ln2, h, rows, ws.normed.data()), ws.mlp.data(),
      ws.branch.data());
  sublayer_residual(c, l.ln2, h, rows, ws.branch.data(), l.fc2.bias);
}

void encoder_forward(const TransformerConfig& c, const std::vector<EncoderLayerWeights>& layers,
                     const PackedSequences& seqs, bool causal, float* hidden, EncoderWorkspace& ws,
                     const std::vector<int64_t>* pooled_rows) {
  const int64_t rows = seqs.rows(), w = c.width;
  grow_buffer(ws.normed, rows * w);
  grow_buffer(ws.qkv, rows * 3 * w);
  grow_buffer(ws.context, rows * w);
  grow_buffer(ws.mlp, rows * c.mlp_width);
  grow_buffer(ws.branch, rows * w);
  for (size_t i = 0; i < layers.size(); ++i) {
    if (pooled_rows != nullptr && i + 1 == layers.size()) {
      encoder_layer_pooled(c, layers[i], seqs, causal, *pooled_rows, hidden, ws);
    } else {
      encoder_layer(c, layers[i], seqs, causal, hidden, ws);
    }
  }
}

}  // namespace clipsearch
