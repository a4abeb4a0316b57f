#include "model/clip_weights.h"

#include "model/resnet_weights.h"
#include "model/tower_binding.h"
#include "model/weight_binder.h"
#include "tensor/weight_linear.h"

#include <cassert>
#include <cmath>
#include <optional>
#include <string>

namespace clipsearch {

Status bind_patch_conv(Binder& b, const std::string& name, const VisionConfig& v,
                       WeightMatrix* out) {
  return b.reducible(name, {v.width, v.channels, v.patch_size, v.patch_size}, v.width,
                     v.channels * v.patch_size * v.patch_size, out);
}

Status bind_token_embedding(Binder& b, const std::string& name, const TextConfig& t,
                            WeightMatrix* out) {
  return b.reducible(name, {t.vocab_size, t.width}, t.vocab_size, t.width, out);
}

Status bind_hf_layer(Binder& b, const std::string& p, const TransformerConfig& c,
                     EncoderLayerWeights* l) {
  const int64_t w = c.width;
  CLIPSEARCH_RETURN_IF_ERROR(b.layer_norm(p + ".layer_norm1", w, &l->ln1));
  CLIPSEARCH_RETURN_IF_ERROR(b.layer_norm(p + ".layer_norm2", w, &l->ln2));
  CLIPSEARCH_RETURN_IF_ERROR(
      b.reducible(p + ".self_attn.q_proj.weight", {w, w}, w, w, &l->q_weight));
  CLIPSEARCH_RETURN_IF_ERROR(
      b.reducible(p + ".self_attn.k_proj.weight", {w, w}, w, w, &l->k_weight));
  CLIPSEARCH_RETURN_IF_ERROR(
      b.reducible(p + ".self_attn.v_proj.weight", {w, w}, w, w, &l->v_weight));
  CLIPSEARCH_RETURN_IF_ERROR(b.bind(p + ".self_attn.q_proj.bias", {w}, &l->q_bias));
  CLIPSEARCH_RETURN_IF_ERROR(b.bind(p + ".self_attn.k_proj.bias", {w}, &l->k_bias));
  CLIPSEARCH_RETURN_IF_ERROR(b.bind(p + ".self_attn.v_proj.bias", {w}, &l->v_bias));
  l->qkv_fused = false;
  CLIPSEARCH_RETURN_IF_ERROR(b.linear(p + ".self_attn.out_proj", w, w, &l->out));
  CLIPSEARCH_RETURN_IF_ERROR(b.linear(p + ".mlp.fc1", c.mlp_width, w, &l->fc1));
  return b.linear(p + ".mlp.fc2", w, c.mlp_width, &l->fc2);
}

namespace {

// ref: open_clip ResidualAttentionBlock (ln_1, attn = nn.MultiheadAttention with in_proj_weight
// [3w, w] = q;k;v stacked, ln_2, mlp.c_fc, mlp.c_proj).
Status bind_open_clip_layer(Binder& b, const std::string& p, const TransformerConfig& c,
                            EncoderLayerWeights* l) {
  const int64_t w = c.width;
  CLIPSEARCH_RETURN_IF_ERROR(b.layer_norm(p + ".ln_1", w, &l->ln1));
  CLIPSEARCH_RETURN_IF_ERROR(b.layer_norm(p + ".ln_2", w, &l->ln2));
  CLIPSEARCH_RETURN_IF_ERROR(
      b.reducible(p + ".attn.in_proj_weight", {3 * w, w}, 3 * w, w, &l->q_weight));
  CLIPSEARCH_RETURN_IF_ERROR(b.bind(p + ".attn.in_proj_bias", {3 * w}, &l->q_bias));
  l->k_bias = l->q_bias + w;
  l->v_bias = l->q_bias + 2 * w;
  l->qkv_fused = true;
  CLIPSEARCH_RETURN_IF_ERROR(b.linear(p + ".attn.out_proj", w, w, &l->out));
  CLIPSEARCH_RETURN_IF_ERROR(b.linear(p + ".mlp.c_fc", c.mlp_width, w, &l->fc1));
  return b.linear(p + ".mlp.c_proj", w, c.mlp_width, &l->fc2);
}

// ref: BertLayer (ChineseCLIPTextLayer): attention.self.{query,key,value}, attention.output.dense
// and its LayerNorm, intermediate.dense, output.dense and its LayerNorm.
Status bind_bert_layer(Binder& b, const std::string& p, const TransformerConfig& c,
                       EncoderLayerWeights* l) {
  const int64_t w = c.width;
  CLIPSEARCH_RETURN_IF_ERROR(b.layer_norm(p + ".attention.output.LayerNorm", w, &l->ln1));
  CLIPSEARCH_RETURN_IF_ERROR(b.layer_norm(p + ".output.LayerNorm", w, &l->ln2));
  const std::string a = p + ".attention.self.";
  CLIPSEARCH_RETURN_IF_ERROR(b.reducible(a + "query.weight", {w, w}, w, w, &l->q_weight));
  CLIPSEARCH_RETURN_IF_ERROR(b.reducible(a + "key.weight", {w, w}, w, w, &l->k_weight));
  CLIPSEARCH_RETURN_IF_ERROR(b.reducible(a + "value.weight", {w, w}, w, w, &l->v_weight));
  CLIPSEARCH_RETURN_IF_ERROR(b.bind(a + "query.bias", {w}, &l->q_bias));
  CLIPSEARCH_RETURN_IF_ERROR(b.bind(a + "key.bias", {w}, &l->k_bias));
  CLIPSEARCH_RETURN_IF_ERROR(b.bind(a + "value.bias", {w}, &l->v_bias));
  l->qkv_fused = false;
  CLIPSEARCH_RETURN_IF_ERROR(b.linear(p + ".attention.output.dense", w, w, &l->out));
  CLIPSEARCH_RETURN_IF_ERROR(b.linear(p + ".intermediate.dense", c.mlp_width, w, &l->fc1));
  return b.linear(p + ".output.dense", w, c.mlp_width, &l->fc2);
}

// The projection of an open_clip Hugging Face text tower (ref: HFTextEncoder.proj): one
// nn.Linear, or nn.Sequential(Linear, GELU, Linear) with the hidden width (width + embed) / 2.
Status bind_hf_text_projection(Binder& b, const ClipConfig& c, TextWeights* tw) {
  const TextConfig& t = c.text;
  switch (t.projection) {
    case TextProjection::kIdentity:
      return Status();
    case TextProjection::kLinear:
      return b.matrix("text.proj.weight", c.projection_dim, t.width, WeightLayout::kOutIn,
                      &tw->projection.weight);
    case TextProjection::kMlp: {
      const int64_t hidden = (t.width + c.projection_dim) / 2;
      CLIPSEARCH_RETURN_IF_ERROR(b.matrix("text.proj.0.weight", hidden, t.width,
                                          WeightLayout::kOutIn, &tw->projection.weight));
      return b.matrix("text.proj.2.weight", c.projection_dim, hidden, WeightLayout::kOutIn,
                      &tw->projection_out.weight);
    }
  }
  return Status::unsupported("unknown text projection");
}

// ref: BertModel / XLMRobertaModel without its pooling layer: ChineseCLIPTextModel under
// "text_model." with text_projection (Hugging Face layout), or open_clip's HFTextEncoder under
// "text.transformer." with its own projection (open_clip layout).
Status bind_bert_text(Binder& b, const ClipConfig& c, TextWeights* tw) {
  const TextConfig& t = c.text;
  const bool open_clip = c.layout == ModelLayout::kOpenClip;
  const std::string p = open_clip ? "text.transformer." : "text_model.";
  const std::string e = p + "embeddings.";
  CLIPSEARCH_RETURN_IF_ERROR(
      bind_token_embedding(b, e + "word_embeddings.weight", t, &tw->token_embedding));
  CLIPSEARCH_RETURN_IF_ERROR(b.bind(e + "position_embeddings.weight", {t.context_length, t.width},
                                    &tw->position_embedding));
  CLIPSEARCH_RETURN_IF_ERROR(b.bind(e + "token_type_embeddings.weight",
                                    {t.type_vocab_size, t.width}, &tw->token_type_embedding));
  CLIPSEARCH_RETURN_IF_ERROR(b.layer_norm(e + "LayerNorm", t.width, &tw->embedding_ln));
  tw->layers.resize(static_cast<size_t>(t.layers));
  for (int64_t i = 0; i < t.layers; ++i) {
    CLIPSEARCH_RETURN_IF_ERROR(bind_bert_layer(b, p + "encoder.layer." + std::to_string(i), t,
                                               &tw->layers[static_cast<size_t>(i)]));
  }
  if (open_clip) return bind_hf_text_projection(b, c, tw);
  return b.matrix("text_projection.weight", c.projection_dim, t.width, WeightLayout::kOutIn,
                  &tw->projection.weight);
}

Status bind_hf(Binder& b, const ClipConfig& c, ClipWeights* w) {
  const VisionConfig& v = c.vision;
  VisionWeights& vw = w->vision;
  const std::string vp = "vision_model.";
  CLIPSEARCH_RETURN_IF_ERROR(
      bind_patch_conv(b, vp + "embeddings.patch_embedding.weight", v, &vw.patch_weight));
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

  if (c.text.tower == TextTower::kBert) return bind_bert_text(b, c, &w->text);
  const TextConfig& t = c.text;
  TextWeights& tw = w->text;
  const std::string tp = "text_model.";
  CLIPSEARCH_RETURN_IF_ERROR(
      bind_token_embedding(b, tp + "embeddings.token_embedding.weight", t, &tw.token_embedding));
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

Status bind_open_clip_vit(Binder& b, const ClipConfig& c, VisionWeights* vw) {
  const VisionConfig& v = c.vision;
  CLIPSEARCH_RETURN_IF_ERROR(bind_patch_conv(b, "visual.conv1.weight", v, &vw->patch_weight));
  CLIPSEARCH_RETURN_IF_ERROR(b.bind("visual.class_embedding", {v.width}, &vw->class_embedding));
  CLIPSEARCH_RETURN_IF_ERROR(b.position_embedding("visual.positional_embedding", v.tokens(),
                                                  v.width, 1, &vw->resized_positions,
                                                  &vw->position_embedding));
  CLIPSEARCH_RETURN_IF_ERROR(b.layer_norm("visual.ln_pre", v.width, &vw->pre_ln));
  vw->layers.resize(static_cast<size_t>(v.layers));
  for (int64_t i = 0; i < v.layers; ++i) {
    CLIPSEARCH_RETURN_IF_ERROR(
        bind_open_clip_layer(b, "visual.transformer.resblocks." + std::to_string(i), v,
                             &vw->layers[static_cast<size_t>(i)]));
  }
  CLIPSEARCH_RETURN_IF_ERROR(b.layer_norm("visual.ln_post", v.width, &vw->post_ln));
  return b.matrix("visual.proj", c.projection_dim, v.width, WeightLayout::kInOut,
                  &vw->projection.weight);
}

// ref: open_clip CLIP (text tensors at the top level) or CustomTextCLIP (under "text.").
Status bind_open_clip_text(Binder& b, const ClipConfig& c, TextWeights* tw) {
  const TextConfig& t = c.text;
  const std::string p = c.custom_text ? "text." : "";
  CLIPSEARCH_RETURN_IF_ERROR(
      bind_token_embedding(b, p + "token_embedding.weight", t, &tw->token_embedding));
  CLIPSEARCH_RETURN_IF_ERROR(
      b.bind(p + "positional_embedding", {t.context_length, t.width}, &tw->position_embedding));
  tw->layers.resize(static_cast<size_t>(t.layers));
  for (int64_t i = 0; i < t.layers; ++i) {
    CLIPSEARCH_RETURN_IF_ERROR(
        bind_open_clip_layer(b, p + "transformer.resblocks." + std::to_string(i), t,
                             &tw->layers[static_cast<size_t>(i)]));
  }
  CLIPSEARCH_RETURN_IF_ERROR(b.layer_norm(p + "ln_final", t.width, &tw->final_ln));
  return b.matrix(p + "text_projection", c.projection_dim, t.width, WeightLayout::kInOut,
                  &tw->projection.weight);
}

Status bind_open_clip(Binder& b, const ClipConfig& c, ClipWeights* w) {
  if (c.vision.tower == ImageTower::kModifiedResNet) {
    CLIPSEARCH_RETURN_IF_ERROR(bind_resnet(b, c, &w->resnet));
  } else {
    CLIPSEARCH_RETURN_IF_ERROR(bind_open_clip_vit(b, c, &w->vision));
  }
  if (c.text.tower == TextTower::kBert) return bind_bert_text(b, c, &w->text);
  return bind_open_clip_text(b, c, &w->text);
}

// Converts one float32 matrix and lets the store drop the float32 tensor, so that a reduced
// precision costs its own size in memory, not that plus float32's. A matrix bound as stored
// (already in `type`) is left as it is.
void convert_matrix(WeightStore& store, WeightMatrix* m, WeightType type) {
  if (m->empty() || m->type() != WeightType::kF32) return;
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

// Converts every reducible tensor still float32 to the model's type, once. The two projections
// stay float32: under 1% of the weights and of the time (one row per input), but measured as
// the single most sensitive matrices. On the random-weight ViT-B/32, int8 of the visual
// projection alone took the image embeddings' centered cosine (precision_reference_test) from
// 0.9999 to 0.991; all layers but the projections in int8 give 0.993, everything in int8 0.984.
void convert_reducible(ClipWeights* w) {
  if (w->type == WeightType::kF32) return;
  for (auto* layers : {&w->vision.layers, &w->text.layers}) {
    for (EncoderLayerWeights& l : *layers) convert_layer(*w->store, &l, w->type);
  }
  convert_matrix(*w->store, &w->vision.patch_weight, w->type);
  convert_matrix(*w->store, &w->text.token_embedding, w->type);
}

// Packs the weights of every encoder layer and the patch embedding for the products that read
// them in a layout of their own: BF16 arithmetic (bf16 where the CPU has it), or int8 x int8
// (int8-dynamic), which `all_products` false limits to the products whose inputs are a layer
// norm's output or pixels (q/k/v, fc1, the patch embedding): the out-projection's input (the
// attention's output) and fc2's (GELU's) lose the most to a per-token int8 scale, so they stay
// weight-only int8. Measured (quantize_check_test's library, bench/RESULTS.md "int8-dynamic:
// which products"): recall@10 0.794 with every product in int8, 0.860 with fc2 weight-only, 0.886
// with fc2 and the out-projection. An owned copy is freed as its packing replaces it; a quantized
// folder's mapped tensors stay mapped (clean pages the kernel may drop). The token embedding,
// looked up a row at a time, keeps [out, in].
void pack_products(ClipWeights* w, WeightType type, bool all_products,
                   WeightMatrix (*packed)(const WeightMatrix&)) {
  auto pack = [&](WeightMatrix* m) {
    if (!m->empty() && m->type() == type) *m = packed(*m);
  };
  for (auto* layers : {&w->vision.layers, &w->text.layers}) {
    for (EncoderLayerWeights& l : *layers) {
      for (WeightMatrix* m : {&l.q_weight, &l.k_weight, &l.v_weight, &l.fc1.weight}) pack(m);
      if (all_products) {
        pack(&l.out.weight);
        pack(&l.fc2.weight);
      }
    }
  }
  pack(&w->vision.patch_weight);
}

// A one-value tensor, 0-d (CLIP's logit_scale) or [1] (SigLIP's logit_scale and logit_bias).
Status bind_scalar(Binder& b, const std::string& name, float* out) {
  CLIPSEARCH_ASSIGN_OR_RETURN(const std::vector<int64_t> shape, b.store().shape(name));
  const float* value = nullptr;
  CLIPSEARCH_RETURN_IF_ERROR(
      b.bind(name, shape.empty() ? std::vector<int64_t>{} : std::vector<int64_t>{1}, &value));
  *out = *value;
  return Status();
}

// The type the model runs at: `asked`, or a quantized checkpoint's own type.
Result<WeightType> model_type(const WeightStore& store, WeightType asked) {
  CLIPSEARCH_ASSIGN_OR_RETURN(const WeightType quantized, quantized_type(store));
  if (quantized == WeightType::kF32 || asked == WeightType::kF32 || asked == quantized) {
    return quantized == WeightType::kF32 ? asked : quantized;
  }
  return Status::unsupported(store.path() + ": quantized to " + weight_type_name(quantized) +
                             " by `clipsearch quantize`, so it runs at " +
                             weight_type_name(quantized) + ", not " + weight_type_name(asked) +
                             ": quantize the original model to " + weight_type_name(asked));
}

}  // namespace

std::string int8_scale_name(const std::string& name) { return name + "_scale"; }

Result<WeightType> quantized_type(const WeightStore& store) {
  const std::map<std::string, std::string> metadata = store.metadata();
  auto it = metadata.find(kQuantizedPrecisionKey);
  if (it == metadata.end()) return WeightType::kF32;
  for (WeightType type : {WeightType::kBF16, WeightType::kF16, WeightType::kInt8}) {
    if (it->second == weight_type_name(type)) return type;
  }
  return Status::corruption(store.path() + ": metadata " + kQuantizedPrecisionKey + " is \"" +
                            it->second + "\", expected bf16, f16 or int8");
}

Result<ClipWeights> load_clip_weights(const ClipConfig& config, WeightType type,
                                      Activations activations, bool pack_for_cpu) {
  assert(activations == Activations::kFloat32 || type == WeightType::kInt8);
  ClipWeights weights;
  weights.activations = activations;
  CLIPSEARCH_ASSIGN_OR_RETURN(weights.store, WeightStore::open(config.weights_path));
  CLIPSEARCH_ASSIGN_OR_RETURN(weights.type, model_type(*weights.store, type));
  Binder binder(*weights.store, weights.type);
  if (config.text.tower == TextTower::kSiglip) {
    CLIPSEARCH_RETURN_IF_ERROR(bind_siglip(binder, config, &weights));
    // ref: SiglipModel: logit_scale and logit_bias = nn.Parameter(torch.randn(1)), both needed.
    CLIPSEARCH_RETURN_IF_ERROR(bind_scalar(binder, "logit_scale", &weights.logit_scale));
    CLIPSEARCH_RETURN_IF_ERROR(bind_scalar(binder, "logit_bias", &weights.logit_bias));
  } else if (config.layout == ModelLayout::kHuggingFace) {
    CLIPSEARCH_RETURN_IF_ERROR(bind_hf(binder, config, &weights));
  } else {
    CLIPSEARCH_RETURN_IF_ERROR(bind_open_clip(binder, config, &weights));
  }
  // CLIP's logit_scale is a 0-d tensor, and only the similarity scores need it.
  if (config.text.tower != TextTower::kSiglip && weights.store->contains("logit_scale")) {
    CLIPSEARCH_RETURN_IF_ERROR(bind_scalar(binder, "logit_scale", &weights.logit_scale));
  }
  weights.reducible = binder.take_reducible();
  convert_reducible(&weights);
  if (activations == Activations::kInt8Dynamic) {
    pack_products(&weights, WeightType::kInt8, false, WeightMatrix::int8_products);
  } else if (weights.type == WeightType::kBF16 && bf16_products_packed() && pack_for_cpu) {
    pack_products(&weights, WeightType::kBF16, true, WeightMatrix::bf16_products);
  }
  return weights;
}

}  // namespace clipsearch
