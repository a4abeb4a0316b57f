#include "model/encoder.h"

#include <algorithm>
#include <atomic>
#include <cmath>

#include "core/thread_pool.h"
#include "tensor/gemm.h"
#include "tensor/ops.h"

namespace clipsearch {
namespace {

// qkv[r] = normed[r] @ [Wq; Wk; Wv]^T + [bq; bk; bv]   -> [rows, 3 * width]
void qkv_projection(const EncoderLayerWeights& l, int64_t rows, int64_t width, const float* normed,
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
  if (l.qkv_fused) {
    linear(rows, 3 * width, width, normed, width, l.q_weight, WeightLayout::kOutIn, 1.0f, qkv, ld);
  } else {
    linear(rows, width, width, normed, width, l.q_weight, WeightLayout::kOutIn, 1.0f, qkv, ld);
    linear(rows, width, width, normed, width, l.k_weight, WeightLayout::kOutIn, 1.0f, qkv + width,
           ld);
    linear(rows, width, width, normed, width, l.v_weight, WeightLayout::kOutIn, 1.0f,
           qkv + 2 * width, ld);
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

// The second half of a layer, on `rows` rows: residual += context @ Wo^T + bo; normed =
// layer_norm2(residual); residual += act(normed @ W1^T + b1) @ W2^T. fc2's bias is left for the
// caller to fuse with whatever reads the residual next.
void output_and_mlp(const TransformerConfig& c, const EncoderLayerWeights& l, int64_t rows,
                    const float* context, float* residual, float* normed, float* mlp) {
  const int64_t w = c.width;
  linear(rows, w, w, context, w, l.out.weight, l.out.layout, 1.0f, residual, w);
  add_bias_layer_norm(residual, rows, w, w, l.out.bias, l.ln2.gamma, l.ln2.beta, c.layer_norm_eps,
                      normed, w);
  linear(rows, c.mlp_width, w, normed, w, l.fc1.weight, l.fc1.layout, 0.0f, mlp, c.mlp_width);
  bias_activation(mlp, rows, c.mlp_width, c.mlp_width, l.fc1.bias, c.activation);
  linear(rows, w, c.mlp_width, mlp, c.mlp_width, l.fc2.weight, l.fc2.layout, 1.0f, residual, w);
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

// Out-projection and MLP of the last layer for the pooled rows only; writes their final
// output back into `hidden`.
void last_layer_pooled(const TransformerConfig& c, const EncoderLayerWeights& l,
                       const PackedSequences& seqs, bool causal,
                       const std::vector<int64_t>& pooled_rows, float* hidden,
                       EncoderWorkspace& ws) {
  const int64_t w = c.width, count = seqs.count();
  grow_buffer(ws.pooled, count * w);
  float* residual = ws.pooled.data();  // [count, width]
  float* normed = ws.normed.data();    // [count, width], reused
  for (int64_t s = 0; s < count; ++s) {
    const float* src = hidden + pooled_rows[static_cast<size_t>(s)] * w;
    std::copy(src, src + w, residual + s * w);
  }
  attention_pooled(c, seqs, causal, pooled_rows, ws.qkv.data(), ws.context.data(), ws.scores);
  output_and_mlp(c, l, count, ws.context.data(), residual, normed, ws.mlp.data());
  add_bias(residual, count, w, w, l.fc2.bias);
  for (int64_t s = 0; s < count; ++s) {
    std::copy(residual + s * w, residual + (s + 1) * w,
              hidden + pooled_rows[static_cast<size_t>(s)] * w);
  }
}

}  // namespace

int64_t PackedSequences::max_length() const {
  int64_t m = 0;
  for (int64_t s = 0; s < count(); ++s) m = std::max(m, length(s));
  return m;
}

void encoder_forward(const TransformerConfig& c, const std::vector<EncoderLayerWeights>& layers,
                     const PackedSequences& seqs, bool causal, float* hidden, EncoderWorkspace& ws,
                     const std::vector<int64_t>* pooled_rows) {
  const int64_t rows = seqs.rows();
  const int64_t w = c.width;
  grow_buffer(ws.normed, rows * w);
  grow_buffer(ws.qkv, rows * 3 * w);
  grow_buffer(ws.context, rows * w);
  grow_buffer(ws.mlp, rows * c.mlp_width);
  float* normed = ws.normed.data();
  if (layers.empty()) return;
  layer_norm(hidden, rows, w, w, layers[0].ln1.gamma, layers[0].ln1.beta, c.layer_norm_eps, normed,
             w);
  for (size_t i = 0; i < layers.size(); ++i) {
    const EncoderLayerWeights& l = layers[i];
    qkv_projection(l, rows, w, normed, ws.qkv.data());
    if (pooled_rows != nullptr && i + 1 == layers.size()) {
      last_layer_pooled(c, l, seqs, causal, *pooled_rows, hidden, ws);
      return;
    }
    attention(c, seqs, causal, ws.qkv.data(), ws.context.data(), ws.scores);
    output_and_mlp(c, l, rows, ws.context.data(), hidden, normed, ws.mlp.data());
    if (i + 1 < layers.size()) {
      const EncoderLayerWeights& next = layers[i + 1];
      add_bias_layer_norm(hidden, rows, w, w, l.fc2.bias, next.ln1.gamma, next.ln1.beta,
                          c.layer_norm_eps, normed, w);
    } else {
      add_bias(hidden, rows, w, w, l.fc2.bias);
    }
  }
}

}  // namespace clipsearch
