#include "model/attention_pool.h"

#include <algorithm>
#include <atomic>
#include <cassert>
#include <cmath>

#include "core/thread_pool.h"
#include "tensor/gemm.h"
#include "tensor/ops.h"
#include "tensor/weight_linear.h"

namespace clipsearch {
namespace {

// context [width] of one image from its query q [width] and tokens x [per_image, width];
// slot: [heads * width] u, [heads * per_image] scores, [heads * width] weighted token sums.
void pool_image(int64_t heads, const EncoderLayerWeights& l, const float* q, const float* x,
                int64_t per_image, int64_t width, float* slot, float* context) {
  const int64_t d = width / heads;
  const float* wk = l.k_weight.f32_data();  // [width, width], [out, in]
  const float* wv = l.v_weight.f32_data();
  float* u = slot;                            // [heads, width]: Wk_h^T q_h
  float* scores = u + heads * width;          // [heads, per_image]
  float* mixed = scores + heads * per_image;  // [heads, width]: p_h X
  // The per-head products read all of Wk and Wv (32 MB on RN50): split over the pool by heads
  // when this is the only image (inside a task of several images, parallel_for runs inline).
  parallel_for(heads, [&](int64_t begin, int64_t end) {
    for (int64_t h = begin; h < end; ++h) {  // u[h] = q_h [1, d] . Wk_h [d, width]
      gemm_single(1, width, d, 1.0f, q + h * d, d, wk + h * d * width, width,
                  /*b_transposed=*/false, 0.0f, u + h * width, width);
    }
  });
  // scores[h][t] = (x[t] . u[h]) / sqrt(d); ref: q scaled by head_dim^-0.5.
  gemm_single(heads, per_image, width, 1.0f / std::sqrt(static_cast<float>(d)), u, width, x, width,
              /*b_transposed=*/true, 0.0f, scores, per_image);
  for (int64_t h = 0; h < heads; ++h) softmax_row(scores + h * per_image, per_image);
  gemm_single(heads, width, per_image, 1.0f, scores, per_image, x, width, /*b_transposed=*/false,
              0.0f, mixed, width);
  parallel_for(heads, [&](int64_t begin, int64_t end) {
    for (int64_t h = begin; h < end; ++h) {  // context_h = mixed[h] [1, width] . Wv_h^T + bv_h
      gemm_single(1, d, width, 1.0f, mixed + h * width, width, wv + h * d * width, width,
                  /*b_transposed=*/true, 0.0f, context + h * d, d);
    }
  });
  for (int64_t r = 0; r < width; ++r) context[r] += l.v_bias[r];
}

}  // namespace

void attention_pool(int64_t heads, const EncoderLayerWeights& l, const float* tokens, int64_t count,
                    int64_t per_image, int64_t width, float* out, std::vector<float>& scratch,
                    const float* query) {
  assert(l.k_weight.type() == WeightType::kF32 && l.k_weight.layout() == WeightLayout::kOutIn);
  assert(l.v_weight.type() == WeightType::kF32 && l.v_weight.layout() == WeightLayout::kOutIn);
  const int64_t slots = std::min<int64_t>(num_threads(), count);
  const int64_t slot_floats = heads * (2 * width + per_image);
  const size_t need = static_cast<size_t>(2 * count * width + slots * slot_floats);
  if (scratch.size() < need) scratch.resize(need);
  float* q = scratch.data();                   // [count, width]
  float* context = q + count * width;          // [count, width]
  float* slot_base = context + count * width;  // [slots, slot_floats]
  // q = x0 Wq^T + bq for each image's first token, or once for the shared query.
  const int64_t queries = query != nullptr ? 1 : count;
  if (query != nullptr) {
    linear(1, query, width, l.q_weight, 0.0f, q, width);
  } else {
    linear(count, tokens, per_image * width, l.q_weight, 0.0f, q, width);
  }
  bias_activation(q, queries, width, width, l.q_bias, Activation::kIdentity);
  const int64_t q_stride = query != nullptr ? 0 : width;
  std::atomic<int64_t> next_slot{0};
  parallel_for(
      count,
      [&](int64_t begin, int64_t end) {
        float* slot = slot_base + next_slot.fetch_add(1) * slot_floats;
        for (int64_t n = begin; n < end; ++n) {
          pool_image(heads, l, q + n * q_stride, tokens + n * per_image * width, per_image, width,
                     slot, context + n * width);
        }
      },
      (count + slots - 1) / slots);  // at most `slots` chunks, one scratch slot each
  const int64_t out_dim = l.out.weight.out();
  linear(count, context, width, l.out.weight, 0.0f, out, out_dim);
  bias_activation(out, count, out_dim, out_dim, l.out.bias, Activation::kIdentity);
}

}  // namespace clipsearch
