#include <gtest/gtest.h>

#include "clipsearch/image.h"

namespace clipsearch {
namespace {

TEST(PreprocessConfig, OldFeatureExtractorLayout) {
  auto c = preprocess_config_parse_hf(
      R"({"crop_size": 224, "do_center_crop": true, "do_normalize": true, "do_resize": true,
          "feature_extractor_type": "CLIPFeatureExtractor", "image_mean": [0.5, 0.25, 0.125],
          "image_std": [1, 2, 3], "resample": 3, "size": 224})",
      "p.json");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->shortest_edge, 224);
  EXPECT_EQ(c->crop_height, 224);
  EXPECT_EQ(c->resample, ResampleFilter::kBicubic);
  EXPECT_EQ(c->mean[2], 0.125f);
  EXPECT_EQ(c->std[1], 2.0f);
  EXPECT_FALSE(c->crop_round_half_even);
}

TEST(PreprocessConfig, ImageProcessorLayout) {
  auto c = preprocess_config_parse_hf(
      R"({"size": {"shortest_edge": 336}, "crop_size": {"height": 300, "width": 320},
          "resample": 2})",
      "p.json");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->shortest_edge, 336);
  EXPECT_EQ(c->crop_height, 300);
  EXPECT_EQ(c->crop_width, 320);
  EXPECT_EQ(c->resample, ResampleFilter::kBilinear);
  EXPECT_EQ(c->mean[0], 0.48145466f);  // CLIPImageProcessor's defaults
}

// SiglipImageProcessor (transformers 4.37.2): an exact resize and no crop (written as a crop of
// the resized size), its defaults where the file says nothing.
TEST(PreprocessConfig, SiglipImageProcessor) {
  auto c = preprocess_config_parse_hf(
      R"({"do_normalize": true, "do_rescale": true, "do_resize": true,
          "image_mean": [0.5, 0.5, 0.5], "image_processor_type": "SiglipImageProcessor",
          "image_std": [0.5, 0.5, 0.5], "processor_class": "SiglipProcessor", "resample": 3,
          "rescale_factor": 0.00392156862745098, "size": {"height": 384, "width": 384}})",
      "p.json");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->resize_height, 384);
  EXPECT_EQ(c->resize_width, 384);
  EXPECT_TRUE(c->do_center_crop);
  EXPECT_EQ(c->crop_height, 384);
  EXPECT_EQ(c->crop_width, 384);
  EXPECT_EQ(c->resample, ResampleFilter::kBicubic);

  auto bare = preprocess_config_parse_hf(
      R"({"image_processor_type": "SiglipImageProcessor", "do_center_crop": true,
          "crop_size": 100})",
      "p.json");
  ASSERT_TRUE(bare.ok()) << bare.status().message();
  EXPECT_EQ(bare->resize_height, 224);
  EXPECT_EQ(bare->crop_width, 224);  // its crop keys are ignored, as SiglipImageProcessor does
  EXPECT_EQ(bare->mean[1], 0.5f);    // IMAGENET_STANDARD_MEAN
  EXPECT_EQ(bare->std[2], 0.5f);
  EXPECT_EQ(bare->resample, ResampleFilter::kBicubic);

  auto wide = preprocess_config_parse_hf(
      R"({"image_processor_type": "SiglipImageProcessor", "size": {"height": 200, "width": 240},
          "resample": 2})",
      "p.json");
  ASSERT_TRUE(wide.ok()) << wide.status().message();
  EXPECT_EQ(wide->crop_height, 200);
  EXPECT_EQ(wide->crop_width, 240);

  for (const char* size : {R"(224)", R"({"shortest_edge": 224})"}) {
    auto bad = preprocess_config_parse_hf(
        std::string(R"({"image_processor_type": "SiglipImageProcessor", "size": )") + size + "}",
        "p.json");
    ASSERT_FALSE(bad.ok()) << size;
    EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(bad.status().message().find("SiglipImageProcessor"), std::string::npos);
  }
}

// ChineseCLIPImageProcessor's published layout: size {"height", "width"}, an exact resize.
TEST(PreprocessConfig, ExactResizeHeightWidth) {
  auto c = preprocess_config_parse_hf(
      R"({"crop_size": {"height": 224, "width": 224}, "do_center_crop": true,
          "do_convert_rgb": true, "do_normalize": true, "do_rescale": true, "do_resize": true,
          "image_mean": [0.48145466, 0.4578275, 0.40821073],
          "image_processor_type": "ChineseCLIPImageProcessor",
          "image_std": [0.26862954, 0.26130258, 0.27577711], "resample": 3,
          "rescale_factor": 0.00392156862745098, "size": {"height": 224, "width": 224}})",
      "cn.json");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->resize_height, 224);
  EXPECT_EQ(c->resize_width, 224);
  EXPECT_EQ(c->crop_height, 224);
  EXPECT_FALSE(c->crop_round_half_even);
  auto wide = preprocess_config_parse_hf(
      R"({"size": {"height": 200, "width": 240}, "crop_size": {"height": 192, "width": 192}})",
      "p.json");
  ASSERT_TRUE(wide.ok()) << wide.status().message();
  EXPECT_EQ(wide->resize_height, 200);
  EXPECT_EQ(wide->resize_width, 240);
  int w = 0, h = 0;
  image_resize_target(*wide, 1000, 10, &w, &h);  // aspect not kept
  EXPECT_EQ(w, 240);
  EXPECT_EQ(h, 200);
  // The shortest-edge layouts leave the exact size unset.
  auto se = preprocess_config_parse_hf(R"({"size": {"shortest_edge": 224}})", "p.json");
  ASSERT_TRUE(se.ok());
  EXPECT_EQ(se->resize_height, 0);
  EXPECT_EQ(se->resize_width, 0);
  image_resize_target(*se, 1000, 10, &w, &h);
  EXPECT_EQ(w, 22400);
  EXPECT_EQ(h, 224);
}

TEST(PreprocessConfig, HeightWidthNeedsBoth) {
  auto no_width = preprocess_config_parse_hf(R"({"size": {"height": 224}})", "p.json");
  ASSERT_FALSE(no_width.ok());
  EXPECT_EQ(no_width.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(no_width.status().message().find("p.json: \"size\" has no \"width\""),
            std::string::npos)
      << no_width.status().message();
  auto no_height = preprocess_config_parse_hf(R"({"size": {"width": 224}})", "p.json");
  ASSERT_FALSE(no_height.ok());
  EXPECT_NE(no_height.status().message().find("\"size\" has no \"height\""), std::string::npos)
      << no_height.status().message();
  auto crop = preprocess_config_parse_hf(R"({"crop_size": {"height": 224}})", "p.json");
  ASSERT_FALSE(crop.ok());
  EXPECT_NE(crop.status().message().find("\"crop_size\" has no \"width\""), std::string::npos)
      << crop.status().message();
  auto both = preprocess_config_parse_hf(
      R"({"size": {"shortest_edge": 224, "height": 224, "width": 224}})", "p.json");
  ASSERT_FALSE(both.ok());
  EXPECT_NE(both.status().message().find("both"), std::string::npos) << both.status().message();
  auto code = [](const std::string& text) {
    return preprocess_config_parse_hf(text, "p.json").status().code();
  };
  EXPECT_EQ(code(R"({"size": {"height": 0, "width": 224}})"), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(R"({"size": {"height": 224, "width": "224"}})"), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(R"({"size": {"height": 224, "width": 20000}})"), StatusCode::kInvalidArgument);
}

TEST(PreprocessConfig, ErrorsNameTheFile) {
  auto bad = preprocess_config_parse_hf(R"({"size": {"longest_edge": 4}})", "p.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("p.json"), std::string::npos);
  EXPECT_NE(bad.status().message().find("shortest_edge"), std::string::npos);
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  auto code = [](const std::string& text) {
    return preprocess_config_parse_hf(text, "p.json").status().code();
  };
  EXPECT_EQ(code(R"({"resample": 0})"), StatusCode::kUnsupported);
  EXPECT_EQ(code("not json"), StatusCode::kCorruption);
  EXPECT_EQ(code(R"({"size": -3})"), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(R"({"image_mean": [1, 2]})"), StatusCode::kInvalidArgument);
  auto missing = preprocess_config_load("/nonexistent-model");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("/nonexistent-model"), std::string::npos);
}

TEST(PreprocessConfig, OpenClip) {
  auto c = preprocess_config_parse_open_clip(
      R"({"model_cfg": {"vision_cfg": {"image_size": 240}},
          "preprocess_cfg": {"mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5]}})",
      "o.json");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->shortest_edge, 240);
  EXPECT_EQ(c->crop_width, 240);
  EXPECT_TRUE(c->crop_round_half_even);
  EXPECT_TRUE(c->rescale_in_float32);
  EXPECT_EQ(c->mean[1], 0.5f);
  EXPECT_EQ(c->resize_height, 0);
  EXPECT_EQ(preprocess_config_parse_open_clip(
                R"({"model_cfg": {"vision_cfg": {"image_size": 224}},
                    "preprocess_cfg": {"resize_mode": "longest"}})",
                "o.json")
                .status()
                .code(),
            StatusCode::kUnsupported);
  // SigLIP's: the whole image to the square, no crop.
  auto squash = preprocess_config_parse_open_clip(
      R"({"model_cfg": {"vision_cfg": {"image_size": 256}},
          "preprocess_cfg": {"mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5],
                             "interpolation": "bicubic", "resize_mode": "squash"}})",
      "o.json");
  ASSERT_TRUE(squash.ok()) << squash.status().message();
  EXPECT_EQ(squash->resize_height, 256);
  EXPECT_EQ(squash->resize_width, 256);
  EXPECT_EQ(squash->crop_height, 256);
  EXPECT_EQ(squash->crop_width, 256);
  EXPECT_FALSE(preprocess_config_parse_open_clip(R"({"model_cfg": {}})", "o.json").ok());
}

// A ResNet tower's vision_cfg (RN50x4 as timm/resnet50x4_clip.openai publishes it): "layers" is a
// list and "patch_size" null; only image_size matters here. Without preprocess_cfg, open_clip's
// defaults: OpenAI's mean and std, bicubic.
TEST(PreprocessConfig, OpenClipResNet) {
  auto c = preprocess_config_parse_open_clip(
      R"({"model_cfg": {"embed_dim": 640, "quick_gelu": true,
                        "vision_cfg": {"image_size": 288, "layers": [4, 6, 10, 6], "width": 80,
                                       "patch_size": null}}})",
      "rn50x4.json");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->shortest_edge, 288);
  EXPECT_EQ(c->crop_height, 288);
  EXPECT_EQ(c->crop_width, 288);
  EXPECT_EQ(c->resample, ResampleFilter::kBicubic);
  EXPECT_TRUE(c->crop_round_half_even);
  EXPECT_EQ(c->mean[0], 0.48145466f);
  EXPECT_EQ(c->std[2], 0.27577711f);
  auto square = preprocess_config_parse_open_clip(
      R"({"model_cfg": {"vision_cfg": {"image_size": [288, 288], "layers": [3, 4, 6, 3]}}})",
      "o.json");
  ASSERT_TRUE(square.ok()) << square.status().message();
  EXPECT_EQ(square->crop_width, 288);
}

}  // namespace
}  // namespace clipsearch
