// SigLIP's weights (transformers 4.37.2 SiglipModel's tensor names) bound into the same
// VisionWeights and TextWeights as CLIP's: the encoder layers are CLIP's, the rest is SigLIP's
// own (tower_binding.h).
#include "model/tower_binding.h"

namespace clipsearch {
namespace {

// ref: SiglipMultiheadAttentionPoolingHead: probe [1, 1, w]; attention = nn.MultiheadAttention
// (in_proj_weight [3w, w], in_proj_bias [3w], out_proj); layernorm; mlp (SiglipMLP). All float32
// (clip_weights.h, AttentionProbeWeights).
Status bind_probe_head(Binder& b, const std::string& p, const VisionConfig& v,
                       AttentionProbeWeights* head) {
  const int64_t w = v.width;
  EncoderLayerWeights& l = head->block;
  CLIPSEARCH_RETURN_IF_ERROR(b.bind(p + "probe", {1, 1, w}, &head->probe));
  const float* in_proj = nullptr;  // [3w, w]: q; k; v
  CLIPSEARCH_RETURN_IF_ERROR(b.bind(p + "attention.in_proj_weight", {3 * w, w}, &in_proj));
  l.q_weight = WeightMatrix::f32(in_proj, w, w, WeightLayout::kOutIn);
  l.k_weight = WeightMatrix::f32(in_proj + w * w, w, w, WeightLayout::kOutIn);
  l.v_weight = WeightMatrix::f32(in_proj + 2 * w * w, w, w, WeightLayout::kOutIn);
  CLIPSEARCH_RETURN_IF_ERROR(b.bind(p + "attention.in_proj_bias", {3 * w}, &l.q_bias));
  l.k_bias = l.q_bias + w;
  l.v_bias = l.q_bias + 2 * w;
  CLIPSEARCH_RETURN_IF_ERROR(
      b.matrix(p + "attention.out_proj.weight", w, w, WeightLayout::kOutIn, &l.out.weight));
  CLIPSEARCH_RETURN_IF_ERROR(b.bind(p + "attention.out_proj.bias", {w}, &l.out.bias));
  CLIPSEARCH_RETURN_IF_ERROR(b.layer_norm(p + "layernorm", w, &l.ln2));
  CLIPSEARCH_RETURN_IF_ERROR(
      b.matrix(p + "mlp.fc1.weight", v.mlp_width, w, WeightLayout::kOutIn, &l.fc1.weight));
  CLIPSEARCH_RETURN_IF_ERROR(b.bind(p + "mlp.fc1.bias", {v.mlp_width}, &l.fc1.bias));
  CLIPSEARCH_RETURN_IF_ERROR(
      b.matrix(p + "mlp.fc2.weight", w, v.mlp_width, WeightLayout::kOutIn, &l.fc2.weight));
  return b.bind(p + "mlp.fc2.bias", {w}, &l.fc2.bias);
}

// ref: SiglipVisionTransformer: embeddings.patch_embedding (with bias), embeddings.
// position_embedding [patches, w], encoder.layers, post_layernorm, head.
Status bind_siglip_vision(Binder& b, const VisionConfig& v, VisionWeights* vw) {
  const std::string p = "vision_model.";
  CLIPSEARCH_RETURN_IF_ERROR(
      bind_patch_conv(b, p + "embeddings.patch_embedding.weight", v, &vw->patch_weight));
  CLIPSEARCH_RETURN_IF_ERROR(
      b.bind(p + "embeddings.patch_embedding.bias", {v.width}, &vw->patch_bias));
  CLIPSEARCH_RETURN_IF_ERROR(b.bind(p + "embeddings.position_embedding.weight",
                                    {v.tokens(), v.width}, &vw->position_embedding));
  vw->layers.resize(static_cast<size_t>(v.layers));
  for (int64_t i = 0; i < v.layers; ++i) {
    CLIPSEARCH_RETURN_IF_ERROR(bind_hf_layer(b, p + "encoder.layers." + std::to_string(i), v,
                                             &vw->layers[static_cast<size_t>(i)]));
  }
  CLIPSEARCH_RETURN_IF_ERROR(b.layer_norm(p + "post_layernorm", v.width, &vw->post_ln));
  return bind_probe_head(b, p + "head.", v, &vw->probe);
}

// ref: SiglipTextTransformer: embeddings.{token,position}_embedding, encoder.layers,
// final_layer_norm, head (nn.Linear with bias, float32 like the CLIP projections).
Status bind_siglip_text(Binder& b, const TextConfig& t, TextWeights* tw) {
  const std::string p = "text_model.";
  CLIPSEARCH_RETURN_IF_ERROR(
      bind_token_embedding(b, p + "embeddings.token_embedding.weight", t, &tw->token_embedding));
  CLIPSEARCH_RETURN_IF_ERROR(b.bind(p + "embeddings.position_embedding.weight",
                                    {t.context_length, t.width}, &tw->position_embedding));
  tw->layers.resize(static_cast<size_t>(t.layers));
  for (int64_t i = 0; i < t.layers; ++i) {
    CLIPSEARCH_RETURN_IF_ERROR(bind_hf_layer(b, p + "encoder.layers." + std::to_string(i), t,
                                             &tw->layers[static_cast<size_t>(i)]));
  }
  CLIPSEARCH_RETURN_IF_ERROR(b.layer_norm(p + "final_layer_norm", t.width, &tw->final_ln));
  CLIPSEARCH_RETURN_IF_ERROR(
      b.matrix(p + "head.weight", t.width, t.width, WeightLayout::kOutIn, &tw->projection.weight));
  return b.bind(p + "head.bias", {t.width}, &tw->projection.bias);
}

}  // namespace

Status bind_siglip(Binder& b, const ClipConfig& c, ClipWeights* w) {
  CLIPSEARCH_RETURN_IF_ERROR(bind_siglip_vision(b, c.vision, &w->vision));
  return bind_siglip_text(b, c.text, &w->text);
}

}  // namespace clipsearch
