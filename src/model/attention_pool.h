// Attention pooling: one query per image attends over all of the image's tokens. ResNet image
// towers (open_clip AttentionPool2d): the query is the image's first token, the mean of the
// feature map. SigLIP (SiglipMultiheadAttentionPoolingHead): a learned probe, the same for every
// image.
#pragma once

#include <cstdint>
#include <vector>

#include "model/clip_weights.h"

namespace clipsearch {

// tokens [count, per_image, width] -> out [count, l.out.weight.out()]. The query's token is
// `query` [width] for every image, or, when null, each image's row 0. `heads` divides width; l
// holds float32 q/k/v projections [width, width] with biases and the out-projection (c_proj,
// out_proj) with its bias. Runs on the thread pool.
//
// ref: AttentionPool2d.forward, F.multi_head_attention_forward, only the first row read:
//   out = c_proj(concat_h softmax(q_h K_h^T / sqrt(d)) V_h),  q = x0 Wq^T + bq (x0: the query's
//   token),
//   K = X Wk^T + bk, V = X Wv^T + bv.
// With one query the products are reassociated so that no token is projected:
//   q_h K_h^T = X (Wk_h^T q_h) + q_h . bk_h   (the last term is the same for every token, so the
//                                               softmax drops it),
//   p_h V_h = (p_h X) Wv_h^T + bv_h            (the weights p_h sum to 1),
// about 20 times fewer multiplications on RN50 (7 x 7 maps, 2048 features) than projecting the
// 50 tokens; the same numbers up to float32 rounding.
void attention_pool(int64_t heads, const EncoderLayerWeights& l, const float* tokens, int64_t count,
                    int64_t per_image, int64_t width, float* out, std::vector<float>& scratch,
                    const float* query = nullptr);

}  // namespace clipsearch
