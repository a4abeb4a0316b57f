#include "model/clip_weights.h"

#include <string>

namespace clipsearch {
namespace {

// Binds tensors by name with the shapes the config implies.
class Binder {
 public:
  explicit Binder(WeightStore& store) : store_(store) {}

  Status bind(const std::string& name, std::vector<int64_t> shape, const float** out) {
    CLIPSEARCH_ASSIGN_OR_RETURN(*out, store_.f32(name, shape));
    return Status();
  }

  Status layer_norm(const std::string& prefix, int64_t width, LayerNormWeights* out) {
    CLIPSEARCH_RETURN_IF_ERROR(bind(prefix + ".weight", {width}, &out->gamma));
    return bind(prefix + ".bias", {width}, &out->beta);
  }

  // A float32 [out, in] matrix (kOutIn) or [in, out] (kInOut), bound with the tensor's own shape.
  Status matrix(const std::string& name, int64_t out_dim, int64_t in_dim, WeightLayout layout,
                WeightMatrix* out) {
    const float* data = nullptr;
    const std::vector<int64_t> shape = layout == WeightLayout::kOutIn
                                           ? std::vector<int64_t>{out_dim, in_dim}
                                           : std::vector<int64_t>{in_dim, out_dim};
    CLIPSEARCH_RETURN_IF_ERROR(bind(name, shape, &data));
    *out = WeightMatrix::f32(data, out_dim, in_dim, layout);
    return Status();
  }

  // A conv with stride = kernel and no bias, bound as the [out, channels * patch * patch]
  // matrix of the unfolded product.
  Status patch_conv(const std::string& name, const VisionConfig& v, WeightMatrix* out) {
    const float* data = nullptr;
    CLIPSEARCH_RETURN_IF_ERROR(
        bind(name, {v.width, v.channels, v.patch_size, v.patch_size}, &data));
    *out = WeightMatrix::f32(data, v.width, v.channels * v.patch_size * v.patch_size,
                             WeightLayout::kOutIn);
    return Status();
  }

  Status linear(const std::string& prefix, int64_t out_dim, int64_t in_dim, LinearWeights* out) {
    CLIPSEARCH_RETURN_IF_ERROR(
        matrix(prefix + ".weight", out_dim, in_dim, WeightLayout::kOutIn, &out->weight));
    return bind(prefix + ".bias", {out_dim}, &out->bias);
  }

 private:
  WeightStore& store_;
};

// ref: transformers CLIPEncoderLayer (layer_norm1, self_attn.{q,k,v,out}_proj, layer_norm2,
// mlp.fc1, mlp.fc2).
Status bind_hf_layer(Binder& b, const std::string& p, const TransformerConfig& c,
                     EncoderLayerWeights* l) {
  const int64_t w = c.width;
  CLIPSEARCH_RETURN_IF_ERROR(b.layer_norm(p + ".layer_norm1", w, &l->ln1));
  CLIPSEARCH_RETURN_IF_ERROR(b.layer_norm(p + ".layer_norm2", w, &l->ln2));
  const auto out_in = WeightLayout::kOutIn;
  CLIPSEARCH_RETURN_IF_ERROR(b.matrix(p + ".self_attn.q_proj.weight", w, w, out_in, &l->q_weight));
  CLIPSEARCH_RETURN_IF_ERROR(b.matrix(p + ".self_attn.k_proj.weight", w, w, out_in, &l->k_weight));
  CLIPSEARCH_RETURN_IF_ERROR(b.matrix(p + ".self_attn.v_proj.weight", w, w, out_in, &l->v_weight));
  CLIPSEARCH_RETURN_IF_ERROR(b.bind(p + ".self_attn.q_proj.bias", {w}, &l->q_bias));
  CLIPSEARCH_RETURN_IF_ERROR(b.bind(p + ".self_attn.k_proj.bias", {w}, &l->k_bias));
  CLIPSEARCH_RETURN_IF_ERROR(b.bind(p + ".self_attn.v_proj.bias", {w}, &l->v_bias));
  l->qkv_fused = false;
  CLIPSEARCH_RETURN_IF_ERROR(b.linear(p + ".self_attn.out_proj", w, w, &l->out));
  CLIPSEARCH_RETURN_IF_ERROR(b.linear(p + ".mlp.fc1", c.mlp_width, w, &l->fc1));
  return b.linear(p + ".mlp.fc2", w, c.mlp_width, &l->fc2);
}

// ref: open_clip ResidualAttentionBlock (ln_1, attn = nn.MultiheadAttention with in_proj_weight
// [3w, w] = q;k;v stacked, ln_2, mlp.c_fc, mlp.c_proj).
Status bind_open_clip_layer(Binder& b, const std::string& p, const TransformerConfig& c,
                            EncoderLayerWeights* l) {
  const int64_t w = c.width;
  CLIPSEARCH_RETURN_IF_ERROR(b.layer_norm(p + ".ln_1", w, &l->ln1));
  CLIPSEARCH_RETURN_IF_ERROR(b.layer_norm(p + ".ln_2", w, &l->ln2));
  CLIPSEARCH_RETURN_IF_ERROR(
      b.matrix(p + ".attn.in_proj_weight", 3 * w, w, WeightLayout::kOutIn, &l->q_weight));
  CLIPSEARCH_RETURN_IF_ERROR(b.bind(p + ".attn.in_proj_bias", {3 * w}, &l->q_bias));
  l->k_bias = l->q_bias + w;
  l->v_bias = l->q_bias + 2 * w;
  l->qkv_fused = true;
  CLIPSEARCH_RETURN_IF_ERROR(b.linear(p + ".attn.out_proj", w, w, &l->out));
  CLIPSEARCH_RETURN_IF_ERROR(b.linear(p + ".mlp.c_fc", c.mlp_width, w, &l->fc1));
  return b.linear(p + ".mlp.c_proj", w, c.mlp_width, &l->fc2);
}

Status bind_hf(Binder& b, const ClipConfig& c, ClipWeights* w) {
  const VisionConfig& v = c.vision;
  VisionWeights& vw = w->vision;
  const std::string vp = "vision_model.";
  CLIPSEARCH_RETURN_IF_ERROR(
      b.patch_conv(vp + "embeddings.patch_embedding.weight", v, &vw.patch_weight));
  CLIPSEARCH_RETURN_IF_ERROR(
      b.bind(vp + "embeddings.class_embedding", {v.width}, &vw.class_embedding));
  CLIPSEARCH_RETURN_IF_ERROR(b.bind(vp + "embeddings.position_embedding.weight",
                                    {v.tokens(), v.width}, &vw.position_embedding));
  // "pre_layrnorm" is the reference's own spelling.
  CLIPSEARCH_RETURN_IF_ERROR(b.layer_norm(vp + "pre_layrnorm", v.width, &vw.pre_ln));
  vw.layers.resize(static_cast<size_t>(v.layers));
  for (int64_t i = 0; i < v.layers; ++i) {
    CLIPSEARCH_RETURN_IF_ERROR(bind_hf_layer(b, vp + "encoder.layers." + std::to_string(i), v,
                                             &vw.layers[static_cast<size_t>(i)]));
  }
  CLIPSEARCH_RETURN_IF_ERROR(b.layer_norm(vp + "post_layernorm", v.width, &vw.post_ln));
  CLIPSEARCH_RETURN_IF_ERROR(b.matrix("visual_projection.weight", c.projection_dim, v.width,
                                      WeightLayout::kOutIn, &vw.projection.weight));

  const TextConfig& t = c.text;
  TextWeights& tw = w->text;
  const std::string tp = "text_model.";
  CLIPSEARCH_RETURN_IF_ERROR(b.bind(tp + "embeddings.token_embedding.weight",
                                    {t.vocab_size, t.width}, &tw.token_embedding));
  CLIPSEARCH_RETURN_IF_ERROR(b.bind(tp + "embeddings.position_embedding.weight",
                                    {t.context_length, t.width}, &tw.position_embedding));
  tw.layers.resize(static_cast<size_t>(t.layers));
  for (int64_t i = 0; i < t.layers; ++i) {
    CLIPSEARCH_RETURN_IF_ERROR(bind_hf_layer(b, tp + "encoder.layers." + std::to_string(i), t,
                                             &tw.layers[static_cast<size_t>(i)]));
  }
  CLIPSEARCH_RETURN_IF_ERROR(b.layer_norm(tp + "final_layer_norm", t.width, &tw.final_ln));
  CLIPSEARCH_RETURN_IF_ERROR(b.matrix("text_projection.weight", c.projection_dim, t.width,
                                      WeightLayout::kOutIn, &tw.projection.weight));
  return Status();
}

Status bind_open_clip(Binder& b, const ClipConfig& c, ClipWeights* w) {
  const VisionConfig& v = c.vision;
  VisionWeights& vw = w->vision;
  CLIPSEARCH_RETURN_IF_ERROR(b.patch_conv("visual.conv1.weight", v, &vw.patch_weight));
  CLIPSEARCH_RETURN_IF_ERROR(b.bind("visual.class_embedding", {v.width}, &vw.class_embedding));
  CLIPSEARCH_RETURN_IF_ERROR(
      b.bind("visual.positional_embedding", {v.tokens(), v.width}, &vw.position_embedding));
  CLIPSEARCH_RETURN_IF_ERROR(b.layer_norm("visual.ln_pre", v.width, &vw.pre_ln));
  vw.layers.resize(static_cast<size_t>(v.layers));
  for (int64_t i = 0; i < v.layers; ++i) {
    CLIPSEARCH_RETURN_IF_ERROR(
        bind_open_clip_layer(b, "visual.transformer.resblocks." + std::to_string(i), v,
                             &vw.layers[static_cast<size_t>(i)]));
  }
  CLIPSEARCH_RETURN_IF_ERROR(b.layer_norm("visual.ln_post", v.width, &vw.post_ln));
  CLIPSEARCH_RETURN_IF_ERROR(b.matrix("visual.proj", c.projection_dim, v.width,
                                      WeightLayout::kInOut, &vw.projection.weight));

  const TextConfig& t = c.text;
  TextWeights& tw = w->text;
  CLIPSEARCH_RETURN_IF_ERROR(
      b.bind("token_embedding.weight", {t.vocab_size, t.width}, &tw.token_embedding));
  CLIPSEARCH_RETURN_IF_ERROR(
      b.bind("positional_embedding", {t.context_length, t.width}, &tw.position_embedding));
  tw.layers.resize(static_cast<size_t>(t.layers));
  for (int64_t i = 0; i < t.layers; ++i) {
    CLIPSEARCH_RETURN_IF_ERROR(bind_open_clip_layer(b, "transformer.resblocks." + std::to_string(i),
                                                    t, &tw.layers[static_cast<size_t>(i)]));
  }
  CLIPSEARCH_RETURN_IF_ERROR(b.layer_norm("ln_final", t.width, &tw.final_ln));
  CLIPSEARCH_RETURN_IF_ERROR(b.matrix("text_projection", c.projection_dim, t.width,
                                      WeightLayout::kInOut, &tw.projection.weight));
  return Status();
}

// Converts one float32 matrix and lets the store drop the float32 tensor, so that a reduced
// precision costs its own size in memory, not that plus float32's.
void convert_matrix(WeightStore& store, WeightMatrix* m, WeightType type) {
  if (m->empty()) return;
  const float* source = m->f32_data();
  *m = WeightMatrix::convert(*m, type);
  store.release(source);
}

void convert_layer(WeightStore& store, EncoderLayerWeights* l, WeightType type) {
  for (WeightMatrix* m :
       {&l->q_weight, &l->k_weight, &l->v_weight, &l->out.weight, &l->fc1.weight, &l->fc2.weight}) {
    convert_matrix(store, m, type);
  }
}

}  // namespace

void convert_clip_weights(ClipWeights* w, WeightType type) {
  if (type == WeightType::kF32) return;
  for (auto* layers : {&w->vision.layers, &w->text.layers}) {
    for (EncoderLayerWeights& l : *layers) convert_layer(*w->store, &l, type);
  }
  convert_matrix(*w->store, &w->vision.patch_weight, type);
  // The two projections stay float32: under 1% of the weights and of the time (one row per
  // input), but measured as the single most sensitive matrices. On the random-weight ViT-B/32,
  // int8 of the visual projection alone took the image embeddings' centered cosine
  // (precision_reference_test) from 0.9999 to 0.991; all layers but the projections in int8
  // give 0.993, everything in int8 0.984.
}

Result<ClipWeights> load_clip_weights(const ClipConfig& config) {
  ClipWeights weights;
  CLIPSEARCH_ASSIGN_OR_RETURN(weights.store, WeightStore::open(config.weights_path));
  Binder binder(*weights.store);
  if (config.layout == ModelLayout::kHuggingFace) {
    CLIPSEARCH_RETURN_IF_ERROR(bind_hf(binder, config, &weights));
  } else {
    CLIPSEARCH_RETURN_IF_ERROR(bind_open_clip(binder, config, &weights));
  }
  const float* logit_scale = nullptr;
  if (weights.store->contains("logit_scale")) {
    CLIPSEARCH_RETURN_IF_ERROR(binder.bind("logit_scale", {}, &logit_scale));
    weights.logit_scale = *logit_scale;
  }
  return weights;
}

}  // namespace clipsearch
