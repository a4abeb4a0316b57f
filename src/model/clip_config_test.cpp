#include "model/clip_config.h"

#include <gtest/gtest.h>

#include "testing/test_util.h"

namespace clipsearch {
namespace {

TEST(ClipConfig, HuggingFaceDefaultsAreViTB32) {
  auto c = parse_hf_config("{}", "config.json");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->vision.width, 768);
  EXPECT_EQ(c->vision.patch_size, 32);
  EXPECT_EQ(c->vision.tokens(), 50);
  EXPECT_EQ(c->text.width, 512);
  EXPECT_EQ(c->text.context_length, 77);
  EXPECT_EQ(c->projection_dim, 512);
  EXPECT_EQ(c->text.activation, Activation::kQuickGelu);
}

TEST(ClipConfig, HuggingFaceReadsEverySize) {
  auto c = parse_hf_config(R"({"projection_dim": 64,
      "text_config": {"hidden_size": 40, "num_attention_heads": 5, "num_hidden_layers": 3,
                      "intermediate_size": 100, "max_position_embeddings": 32, "hidden_act": "gelu"},
      "vision_config": {"hidden_size": 80, "num_attention_heads": 4, "num_hidden_layers": 2,
                        "intermediate_size": 90, "image_size": 42, "patch_size": 14}})",
                           "config.json");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->projection_dim, 64);
  EXPECT_EQ(c->text.heads, 5);
  EXPECT_EQ(c->text.head_dim(), 8);
  EXPECT_EQ(c->text.mlp_width, 100);
  EXPECT_EQ(c->text.context_length, 32);
  EXPECT_EQ(c->text.activation, Activation::kGelu);
  EXPECT_EQ(c->vision.grid(), 3);
  EXPECT_EQ(c->vision.mlp_width, 90);
}

TEST(ClipConfig, LegacyConfigDictWins) {
  auto c = parse_hf_config(R"({"text_config": {"hidden_size": 64},
                               "text_config_dict": {"hidden_size": 32, "num_attention_heads": 4}})",
                           "config.json");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->text.width, 32);
}

void expect_error(const Result<ClipConfig>& c, StatusCode code, const std::string& fragment) {
  ASSERT_FALSE(c.ok()) << "expected: " << fragment;
  EXPECT_EQ(c.status().code(), code) << c.status().message();
  EXPECT_NE(c.status().message().find(fragment), std::string::npos) << c.status().message();
}

void expect_error_status(const Status& st, StatusCode code, const std::string& fragment) {
  ASSERT_FALSE(st.ok()) << "expected: " << fragment;
  EXPECT_EQ(st.code(), code) << st.message();
  EXPECT_NE(st.message().find(fragment), std::string::npos) << st.message();
}

TEST(ClipConfig, HuggingFaceErrorsNameTheField) {
  expect_error(parse_hf_config("{", "config.json"), StatusCode::kCorruption,
               "config.json: not valid JSON");
  expect_error(parse_hf_config("[]", "config.json"), StatusCode::kCorruption, "not a JSON object");
  expect_error(parse_hf_config(R"({"text_config": {"hidden_act": "swish"}})", "config.json"),
               StatusCode::kUnsupported, "text_config.hidden_act is 'swish'");
  expect_error(parse_hf_config(R"({"vision_config": {"hidden_size": "big"}})", "config.json"),
               StatusCode::kInvalidArgument, "vision_config.hidden_size is not an integer");
  expect_error(parse_hf_config(R"({"vision_config": {"hidden_size": 0}})", "config.json"),
               StatusCode::kInvalidArgument, "vision_config.hidden_size is 0");
  expect_error(
      parse_hf_config(R"({"vision_config": {"hidden_size": 100, "num_attention_heads": 3}})",
                      "config.json"),
      StatusCode::kInvalidArgument, "not divisible");
  expect_error(
      parse_hf_config(R"({"vision_config": {"image_size": 16, "patch_size": 32}})", "config.json"),
      StatusCode::kInvalidArgument, "patch_size is larger");
  expect_error(parse_hf_config(R"({"projection_dim": 99999999})", "config.json"),
               StatusCode::kInvalidArgument, "projection_dim is 99999999");
}

TEST(ClipConfig, ChineseClipHasABertTextTower) {
  auto c = parse_hf_config(R"({"model_type": "chinese_clip", "projection_dim": 32,
      "text_config": {"hidden_size": 64, "num_attention_heads": 4, "vocab_size": 21128,
                      "max_position_embeddings": 40, "type_vocab_size": 3},
      "vision_config": {"hidden_size": 64, "num_attention_heads": 4, "patch_size": 16}})",
                           "config.json");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->text.tower, TextTower::kBert);
  EXPECT_TRUE(c->text.post_norm);
  EXPECT_FALSE(c->vision.post_norm);
  EXPECT_EQ(c->text.vocab_size, 21128);
  EXPECT_EQ(c->text.context_length, 40);
  EXPECT_EQ(c->text.type_vocab_size, 3);
  EXPECT_EQ(c->text.activation, Activation::kGelu);  // BertConfig's default
  EXPECT_FLOAT_EQ(c->text.layer_norm_eps, 1e-12f);   // read, unlike CLIP's
  EXPECT_EQ(c->text.mlp_width, 3072);
  EXPECT_EQ(c->vision.grid(), 14);
  EXPECT_EQ(c->vision.activation, Activation::kQuickGelu);
  auto clip = parse_hf_config("{}", "config.json");
  ASSERT_TRUE(clip.ok());
  EXPECT_EQ(clip->text.tower, TextTower::kClip);
  EXPECT_FALSE(clip->text.post_norm);
}

TEST(ClipConfig, ChineseClipRefusesWhatTheEngineDoesNotCompute) {
  expect_error(parse_hf_config(R"({"model_type": "chinese_clip",
      "text_config": {"position_embedding_type": "relative_key"}})",
                               "config.json"),
               StatusCode::kUnsupported, "text_config.position_embedding_type 'relative_key'");
  expect_error(parse_hf_config(R"({"model_type": "chinese_clip",
      "text_config": {"is_decoder": true}})",
                               "config.json"),
               StatusCode::kUnsupported, "text_config.is_decoder");
  expect_error(parse_hf_config(R"({"model_type": "chinese_clip",
      "text_config": {"pruned_heads": {"0": [1]}}})",
                               "config.json"),
               StatusCode::kUnsupported, "text_config.pruned_heads");
  expect_error(parse_hf_config(R"({"model_type": "chinese_clip",
      "text_config": {"type_vocab_size": 0}})",
                               "config.json"),
               StatusCode::kInvalidArgument, "text_config.type_vocab_size");
  expect_error(parse_hf_config(R"({"model_type": "siglip2", "text_config": {}})", "config.json"),
               StatusCode::kUnsupported, "google/siglip2-base-patch16-224");
}

// ref: transformers 4.37.2 SiglipTextConfig / SiglipVisionConfig defaults, under a published
// config as minimal as google/siglip-base-patch16-512's.
TEST(ClipConfig, SiglipTakesTheReferenceDefaults) {
  auto c = parse_hf_config(R"({"model_type": "siglip",
      "text_config": {"model_type": "siglip_text_model", "vocab_size": 256000},
      "vision_config": {"image_size": 512, "model_type": "siglip_vision_model"}})",
                           "config.json");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_TRUE(c->sigmoid_scores);
  EXPECT_EQ(c->layout, ModelLayout::kHuggingFace);
  for (const TransformerConfig* t : {static_cast<const TransformerConfig*>(&c->text),
                                     static_cast<const TransformerConfig*>(&c->vision)}) {
    EXPECT_EQ(t->width, 768);
    EXPECT_EQ(t->layers, 12);
    EXPECT_EQ(t->heads, 12);
    EXPECT_EQ(t->mlp_width, 3072);
    EXPECT_EQ(t->activation, Activation::kGeluTanh);
    EXPECT_FLOAT_EQ(t->layer_norm_eps, 1e-6f);
    EXPECT_FALSE(t->post_norm);
  }
  EXPECT_EQ(c->text.tower, TextTower::kSiglip);
  EXPECT_EQ(c->text.vocab_size, 256000);
  EXPECT_EQ(c->text.context_length, 64);
  EXPECT_EQ(c->text.max_tokens(), 64);
  EXPECT_EQ(c->vision.tower, ImageTower::kVisionTransformer);
  EXPECT_EQ(c->vision.pooling, VisionPooling::kAttentionProbe);
  EXPECT_EQ(c->vision.image_size, 512);
  EXPECT_EQ(c->vision.patch_size, 16);
  EXPECT_EQ(c->vision.tokens(), 32 * 32);  // no class token
  EXPECT_EQ(c->projection_dim, 768);       // the width: no projection

  auto bare = parse_hf_config(R"({"model_type": "siglip"})", "config.json");
  ASSERT_TRUE(bare.ok()) << bare.status().message();
  EXPECT_EQ(bare->text.vocab_size, 32000);
  EXPECT_EQ(bare->vision.image_size, 224);
  EXPECT_EQ(bare->vision.tokens(), 14 * 14);

  auto odd = parse_hf_config(R"({"model_type": "siglip",
      "text_config": {"hidden_size": 96, "num_attention_heads": 3, "hidden_act": "gelu",
                      "layer_norm_eps": 1e-5, "max_position_embeddings": 20,
                      "projection_size": 96},
      "vision_config": {"hidden_size": 96, "num_attention_heads": 3, "patch_size": 8,
                        "image_size": 48, "vision_use_head": true}})",
                             "config.json");
  ASSERT_TRUE(odd.ok()) << odd.status().message();
  EXPECT_EQ(odd->text.activation, Activation::kGelu);
  EXPECT_FLOAT_EQ(odd->text.layer_norm_eps, 1e-5f);
  EXPECT_EQ(odd->vision.grid(), 6);
  EXPECT_EQ(odd->projection_dim, 96);
}

TEST(ClipConfig, SiglipRefusesWhatTheEngineDoesNotCompute) {
  expect_error(parse_hf_config(R"({"model_type": "siglip",
      "text_config": {"projection_size": 512}})",
                               "config.json"),
               StatusCode::kUnsupported, "text_config.projection_size is 512");
  expect_error(parse_hf_config(R"({"model_type": "siglip", "text_config": {"no_head": true}})",
                               "config.json"),
               StatusCode::kUnsupported, "text_config.no_head");
  expect_error(parse_hf_config(R"({"model_type": "siglip",
      "vision_config": {"vision_use_head": false}})",
                               "config.json"),
               StatusCode::kUnsupported, "vision_config.vision_use_head");
  expect_error(parse_hf_config(R"({"model_type": "siglip",
      "text_config": {"hidden_size": 1152, "num_attention_heads": 16}})",
                               "config.json"),
               StatusCode::kUnsupported, "text_config.hidden_size 1152 differs");
  expect_error(parse_hf_config(R"({"model_type": "siglip",
      "vision_config": {"hidden_act": "swish"}})",
                               "config.json"),
               StatusCode::kUnsupported, "vision_config.hidden_act is 'swish'");
  expect_error(parse_hf_config(R"({"model_type": "siglip",
      "vision_config": {"image_size": 8}})",
                               "config.json"),
               StatusCode::kInvalidArgument, "vision_config.patch_size is larger");
  expect_error(parse_hf_config(R"({"model_type": "siglip",
      "text_config": {"layer_norm_eps": 0}})",
                               "config.json"),
               StatusCode::kInvalidArgument, "text_config.layer_norm_eps");
}

TEST(ClipConfig, OpenClip) {
  auto c = parse_open_clip_config(R"({"model_cfg": {"embed_dim": 512, "quick_gelu": true,
      "vision_cfg": {"image_size": 224, "layers": 12, "width": 768, "patch_size": 32},
      "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 512, "heads": 8,
                   "layers": 12}}, "preprocess_cfg": {}})",
                                  "open_clip_config.json");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->layout, ModelLayout::kOpenClip);
  EXPECT_EQ(c->vision.heads, 12);
  EXPECT_EQ(c->vision.mlp_width, 3072);
  EXPECT_EQ(c->text.mlp_width, 2048);
  EXPECT_EQ(c->vision.activation, Activation::kQuickGelu);
  auto gelu = parse_open_clip_config(R"({"model_cfg": {}})", "x.json");
  ASSERT_TRUE(gelu.ok());
  EXPECT_EQ(gelu->text.activation, Activation::kGelu);
}

TEST(ClipConfig, OpenClipRefusesWhatTheEngineDoesNotCompute) {
  expect_error(parse_open_clip_config(R"({"model_cfg": {"text_tower": {}}})", "oc.json"),
               StatusCode::kUnsupported, "model_cfg.text_tower is an open_clip option");
  expect_error(
      parse_open_clip_config(R"({"model_cfg": {"vision_cfg": {"rope": true}}})", "oc.json"),
      StatusCode::kUnsupported, "model_cfg.vision_cfg.rope is an open_clip option");
  expect_error(parse_open_clip_config(R"({"model_cfg": {"text_cfg": {"hf_tokenizer_name": "x"}}})",
                                      "oc.json"),
               StatusCode::kUnsupported, "text_cfg.hf_tokenizer_name");
  expect_error(
      parse_open_clip_config(
          R"({"model_cfg": {"quick_gelu": true, "vision_cfg": {"act_kwargs": {"approximate": "tanh"}}}})",
          "oc.json"),
      StatusCode::kUnsupported, "vision_cfg.act_kwargs");
  expect_error(parse_open_clip_config(
                   R"({"model_cfg": {"text_cfg": {"norm_kwargs": {"elementwise_affine": false}}}})",
                   "oc.json"),
               StatusCode::kUnsupported, "text_cfg.norm_kwargs");
  expect_error(parse_open_clip_config(R"({"model_cfg": {"quick_gelu": "yes"}})", "oc.json"),
               StatusCode::kInvalidArgument, "quick_gelu is not true or false");
  expect_error(
      parse_open_clip_config(R"({"model_cfg": {"vision_cfg": {"ls_init_value": 0.1}}})", "oc.json"),
      StatusCode::kUnsupported, "vision_cfg.ls_init_value");
  expect_error(
      parse_open_clip_config(R"({"model_cfg": {"text_cfg": {"pool_type": "last"}}})", "oc.json"),
      StatusCode::kUnsupported, "text_cfg.pool_type");
  expect_error(parse_open_clip_config(R"({"model_cfg": {"vision_cfg": {"timm_model_name": "x"}}})",
                                      "oc.json"),
               StatusCode::kUnsupported, "timm_model_name");
  expect_error(parse_open_clip_config(
                   R"({"model_cfg": {"vision_cfg": {"image_size": [224, 192]}}})", "oc.json"),
               StatusCode::kUnsupported, "not square");
}

TEST(ClipConfig, OpenClipKwargsAndCustomText) {
  auto c = parse_open_clip_config(R"({"model_cfg": {"custom_text": true,
      "vision_cfg": {"act_kwargs": {"approximate": "tanh"}, "norm_kwargs": {"eps": 1e-6},
                     "patch_dropout": 0.5, "output_tokens": false},
      "text_cfg": {"act_kwargs": {"approximate": "none"}, "pad_id": 1}}})",
                                  "oc.json");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_TRUE(c->custom_text);
  EXPECT_EQ(c->vision.activation, Activation::kGeluTanh);
  EXPECT_FLOAT_EQ(c->vision.layer_norm_eps, 1e-6f);
  EXPECT_EQ(c->text.activation, Activation::kGelu);
  EXPECT_FLOAT_EQ(c->text.layer_norm_eps, 1e-5f);
}

// The published configurations of OpenAI's ResNet CLIPs (timm/resnet50_clip.openai,
// timm/resnet50x4_clip.openai).
TEST(ClipConfig, OpenClipModifiedResNet) {
  auto rn50 = parse_open_clip_config(R"({"model_cfg": {"embed_dim": 1024, "quick_gelu": true,
      "vision_cfg": {"image_size": 224, "layers": [3, 4, 6, 3], "width": 64, "patch_size": null},
      "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 512, "heads": 8,
                   "layers": 12}}})",
                                     "oc.json");
  ASSERT_TRUE(rn50.ok()) << rn50.status().message();
  EXPECT_EQ(rn50->vision.tower, ImageTower::kModifiedResNet);
  EXPECT_EQ(rn50->vision.resnet.stage_blocks, (std::vector<int64_t>{3, 4, 6, 3}));
  EXPECT_EQ(rn50->vision.resnet.width, 64);
  EXPECT_EQ(rn50->vision.resnet.heads, 32);
  EXPECT_EQ(rn50->vision.resnet.features(), 2048);
  EXPECT_EQ(rn50->vision.grid(), 7);
  EXPECT_EQ(rn50->vision.tokens(), 50);
  EXPECT_EQ(rn50->projection_dim, 1024);
  EXPECT_EQ(rn50->text.activation, Activation::kQuickGelu);
  auto x4 = parse_open_clip_config(
      R"({"model_cfg": {"embed_dim": 640, "vision_cfg": {"image_size": 288,
          "layers": [4, 6, 10, 6], "width": 80}}})",
      "oc.json");
  ASSERT_TRUE(x4.ok()) << x4.status().message();
  EXPECT_EQ(x4->vision.resnet.heads, 40);
  EXPECT_EQ(x4->vision.grid(), 9);
}

TEST(ClipConfig, OpenClipModifiedResNetErrorsNameTheKey) {
  auto resnet = [](const std::string& vision) {
    return parse_open_clip_config(R"({"model_cfg": {"vision_cfg": )" + vision + "}}", "oc.json");
  };
  expect_error(resnet(R"({"layers": [3, 4, 6]})"), StatusCode::kInvalidArgument,
               "vision_cfg.layers is a list of 3 stages; a ModifiedResNet has 4");
  expect_error(resnet(R"({"layers": [3, 4, "6", 3]})"), StatusCode::kInvalidArgument,
               "vision_cfg.layers holds \"6\"");
  expect_error(resnet(R"({"layers": [3, 4, 6, 0]})"), StatusCode::kInvalidArgument,
               "vision_cfg.layers holds 0");
  expect_error(resnet(R"({"layers": [1, 1, 1, 1], "width": 63})"), StatusCode::kInvalidArgument,
               "vision_cfg.width is 63");
  expect_error(resnet(R"({"layers": [1, 1, 1, 1], "head_width": 48})"),
               StatusCode::kInvalidArgument, "vision_cfg.head_width gives 42 heads");
  expect_error(resnet(R"({"layers": [1, 1, 1, 1], "image_size": 63})"), StatusCode::kUnsupported,
               "vision_cfg.image_size is 63: the last stage's map is 2 wide");
  expect_error(resnet(R"({"layers": [1, 1, 1, 1], "image_size": 16})"), StatusCode::kUnsupported,
               "vision_cfg.image_size is 16");
}

TEST(ClipConfig, FolderErrors) {
  testing::TempDir dir;
  expect_error(load_clip_config(dir.file("nope")), StatusCode::kNotFound, "no such directory");
  expect_error(load_clip_config(dir.path().string()), StatusCode::kNotFound, "no config.json");
  testing::write_file(dir.file("config.json"), R"({"model_type": "clip"})");
  expect_error(load_clip_config(dir.path().string()), StatusCode::kNotFound,
               "no model.safetensors");
  testing::write_file(dir.file("pytorch_model.bin"), "x");
  auto with_bin = load_clip_config(dir.path().string());
  ASSERT_TRUE(with_bin.ok()) << with_bin.status().message();
  EXPECT_EQ(with_bin->weights_path, dir.file("pytorch_model.bin"));
  testing::write_file(dir.file("config.json"), R"({"architectures": ["vit_base_patch32"]})");
  expect_error(load_clip_config(dir.path().string()), StatusCode::kUnsupported,
               "not a CLIP configuration");
  testing::write_file(dir.file("open_clip_config.json"), R"({"model_cfg": {}})");
  expect_error(load_clip_config(dir.path().string()), StatusCode::kNotFound,
               "no open_clip_model.safetensors or open_clip_pytorch_model.bin");
  testing::write_file(dir.file("open_clip_pytorch_model.bin"), "x");
  auto oc_bin = load_clip_config(dir.path().string());
  ASSERT_TRUE(oc_bin.ok()) << oc_bin.status().message();
  EXPECT_EQ(oc_bin->weights_path, dir.file("open_clip_pytorch_model.bin"));
}

// open_clip's Hugging Face text towers (xlm-roberta-base-ViT-B-32): the architecture comes from
// hf_text_config.json, the pooler and projection from text_cfg.
TEST(ClipConfig, OpenClipHuggingFaceTextTower) {
  testing::TempDir dir;
  testing::write_file(dir.file("open_clip_config.json"), R"({"model_cfg": {"embed_dim": 512,
      "vision_cfg": {"image_size": 224, "layers": 12, "width": 768, "patch_size": 32},
      "text_cfg": {"hf_model_name": "xlm-roberta-base", "hf_tokenizer_name": "xlm-roberta-base",
                   "hf_pooler_type": "mean_pooler"}}})");
  testing::write_file(dir.file("open_clip_model.safetensors"), "x");
  expect_error(load_clip_config(dir.path().string()), StatusCode::kNotFound,
               "needed beside open_clip_config.json as hf_text_config.json");
  // xlm-roberta-base's published config.json (the fields that matter).
  testing::write_file(dir.file("hf_text_config.json"), R"({"model_type": "xlm-roberta",
      "hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12,
      "intermediate_size": 3072, "vocab_size": 250002, "max_position_embeddings": 514,
      "type_vocab_size": 1, "layer_norm_eps": 1e-05, "pad_token_id": 1, "hidden_act": "gelu"})");
  auto c = load_clip_config(dir.path().string());
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->text.tower, TextTower::kBert);
  EXPECT_TRUE(c->custom_text);
  EXPECT_EQ(c->text.pooling, TextPooling::kMean);
  EXPECT_EQ(c->text.projection, TextProjection::kMlp);  // open_clip's default hf_proj_type
  EXPECT_EQ(c->text.vocab_size, 250002);
  EXPECT_EQ(c->text.position_offset, 2);
  EXPECT_EQ(c->text.max_tokens(), 512);
  EXPECT_FLOAT_EQ(c->text.layer_norm_eps, 1e-5f);

  const std::string oc = R"({"model_cfg": {"text_cfg": {"hf_model_name": "m", )";
  expect_error(parse_open_clip_config(oc + R"("hf_pooler_type": "cls_pooler"}}})", "oc.json"),
               StatusCode::kUnsupported, "text_cfg.hf_pooler_type 'cls_pooler'");
  expect_error(parse_open_clip_config(oc + R"("hf_proj_type": "conv"}}})", "oc.json"),
               StatusCode::kUnsupported, "text_cfg.hf_proj_type 'conv'");
  auto identity = parse_open_clip_config(oc + R"("hf_proj_type": null}}})", "oc.json");
  ASSERT_TRUE(identity.ok()) << identity.status().message();
  EXPECT_EQ(identity->text.projection, TextProjection::kIdentity);
  ClipConfig config = *identity;
  expect_error_status(parse_hf_text_config(R"({"model_type": "mt5"})", "hf.json", &config),
                      StatusCode::kUnsupported, "model_type 'mt5'");
  expect_error_status(
      parse_hf_text_config(R"({"model_type": "bert", "hidden_size": 64, "num_attention_heads": 4})",
                           "hf.json", &config),
      StatusCode::kUnsupported, "differs from embed_dim 512");
}

}  // namespace
}  // namespace clipsearch
