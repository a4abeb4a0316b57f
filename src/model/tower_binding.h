// The bindings the model families share (clip_weights.cpp), and SigLIP's (siglip_weights.cpp),
// which reuses them: SiglipModel's encoder layers carry transformers' CLIPEncoderLayer names.
#pragma once

#include <string>

#include "clipsearch/status.h"
#include "model/clip_config.h"
#include "model/clip_weights.h"
#include "model/weight_binder.h"

namespace clipsearch {

// The patch embedding, a conv with stride = kernel, bound as the [width, channels * patch *
// patch] matrix of the unfolded product (reducible).
Status bind_patch_conv(Binder& b, const std::string& name, const VisionConfig& v,
                       WeightMatrix* out);

// The token embedding [vocab, width]: a row per token, each row one "output channel" of int8.
Status bind_token_embedding(Binder& b, const std::string& name, const TextConfig& t,
                            WeightMatrix* out);

// ref: transformers CLIPEncoderLayer (layer_norm1, self_attn.{q,k,v,out}_proj, layer_norm2,
// mlp.fc1, mlp.fc2), which SiglipEncoderLayer copies.
Status bind_hf_layer(Binder& b, const std::string& prefix, const TransformerConfig& c,
                     EncoderLayerWeights* l);

// ref: transformers 4.37.2 SiglipModel's tensors: vision_model.*, text_model.*, logit_scale and
// logit_bias (the last two read by load_clip_weights).
Status bind_siglip(Binder& b, const ClipConfig& c, ClipWeights* w);

}  // namespace clipsearch
