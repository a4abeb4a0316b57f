// The two CLIP towers: pixels -> image embedding, token ids -> text embedding. Both write raw
// (unnormalized) projected embeddings [count, projection_dim].
#pragma once

#include <cstdint>
#include <vector>

#include "model/clip_config.h"
#include "model/clip_weights.h"
#include "model/encoder.h"

namespace clipsearch {

struct TowerWorkspace {
  EncoderWorkspace encoder;
  std::vector<float> hidden;   // [rows, width] residual stream
  std::vector<float> patches;  // [count * patches, channels * patch * patch] (vision only)
  std::vector<float> pooled;   // [count, width]
};

// ref: CLIPVisionTransformer + CLIPModel.get_image_features (open_clip VisionTransformer):
// patch conv, [class; patches] + position embeddings, pre-LN, encoder, post-LN of the class
// token, projection. pixels: [count, channels, image_size, image_size].
void vision_forward(const VisionConfig& config, const VisionWeights& weights, int64_t proj_dim,
                    const float* pixels, int64_t count, float* out, TowerWorkspace& ws);

// ref: CLIPTextTransformer + CLIPModel.get_text_features (open_clip CLIP.encode_text): token +
// position embeddings, causal encoder, final LN, pooled at the first position of the highest
// id, projection. Only the tokens up to the pooled position are computed (the causal mask makes
// later tokens irrelevant). ids must be valid (checked by the caller).
void text_forward(const TextConfig& config, const TextWeights& weights, int64_t proj_dim,
                  const std::vector<std::vector<int32_t>>& texts, float* out, TowerWorkspace& ws);

// Index of the first maximum: the position text_forward pools at. ids must be non-empty.
int64_t pooled_position(const std::vector<int32_t>& ids);

}  // namespace clipsearch
