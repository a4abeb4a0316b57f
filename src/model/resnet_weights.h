// The ModifiedResNet image tower's weights (OpenAI's RN50, RN101, RN50x4, ... as open_clip
// publishes them): bound by name, with every batch norm folded into the convolution before it,
// float32 at every precision (clip_weights.h says why).
#pragma once

#include "clipsearch/status.h"
#include "model/clip_config.h"
#include "model/clip_weights.h"
#include "model/weight_binder.h"

namespace clipsearch {

// Binds the "visual." tensors of an open_clip ModifiedResNet checkpoint into `out`.
Status bind_resnet(Binder& binder, const ClipConfig& config, ResNetWeights* out);

}  // namespace clipsearch
