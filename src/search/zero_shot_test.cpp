#include "search/zero_shot.h"

#include <gtest/gtest.h>

#include <cmath>

namespace clipsearch::search {
namespace {

TEST(ZeroShot, SimilarityIsCosineAndSoftmaxOfScaledLogits) {
  const Embedding image = {1, 0};
  const std::vector<Embedding> texts = {{1, 0}, {0, 1}, {-1, 0}};
  const ScoreScale scale{ModelInfo::ScoreKind::kSoftmax, std::log(10.0f), 0};
  const Similarity s = zero_shot_similarity(image, texts, scale);
  ASSERT_EQ(s.cosine.size(), 3u);
  EXPECT_FLOAT_EQ(s.cosine[0], 1);
  EXPECT_FLOAT_EQ(s.cosine[1], 0);
  EXPECT_FLOAT_EQ(s.cosine[2], -1);
  const double z = std::exp(10.0) + 1 + std::exp(-10.0);
  EXPECT_NEAR(s.probability[0], std::exp(10.0) / z, 1e-6);
  EXPECT_NEAR(s.probability[1], 1 / z, 1e-6);
  EXPECT_NEAR(s.probability[0] + s.probability[1] + s.probability[2], 1.0, 1e-6);
}

// SigLIP: each text's probability is its own sigmoid, whatever the other texts are.
TEST(ZeroShot, SigmoidModelsScoreEachTextAlone) {
  const ScoreScale scale{ModelInfo::ScoreKind::kSigmoid, std::log(10.0f), -2.0f};
  const Embedding image = {1, 0};
  const Similarity s = zero_shot_similarity(image, {{1, 0}, {0, 1}, {0.6f, 0.8f}}, scale);
  ASSERT_EQ(s.probability.size(), 3u);
  EXPECT_NEAR(s.probability[0], 1 / (1 + std::exp(-(10.0 - 2))), 1e-7);
  EXPECT_NEAR(s.probability[1], 1 / (1 + std::exp(2.0)), 1e-7);
  EXPECT_NEAR(s.probability[2], 1 / (1 + std::exp(-(6.0 - 2))), 1e-6);
  const Similarity alone = zero_shot_similarity(image, {{0, 1}}, scale);
  EXPECT_EQ(alone.probability[0], s.probability[1]);
}

TEST(ZeroShot, CosineAtProbabilityInvertsTheSigmoid) {
  const ScoreScale scale{ModelInfo::ScoreKind::kSigmoid, 4.7f, -12.5f};
  for (float p : {0.001f, 0.1f, 0.5f, 0.9f, 0.999f}) {
    const float c = cosine_at_probability(p, scale);
    EXPECT_NEAR(sigmoid_probability(c, scale), p, 1e-5) << p;
  }
  EXPECT_EQ(cosine_at_probability(0, scale), -INFINITY);
  EXPECT_EQ(cosine_at_probability(-1, scale), -INFINITY);
  EXPECT_EQ(cosine_at_probability(1, scale), INFINITY);
}

TEST(ZeroShot, PromptsAreLabelMajor) {
  auto p = zero_shot_prompts({"cat", "dog"}, {"a photo of a {}.", "{} art"});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, (std::vector<std::string>{"a photo of a cat.", "cat art", "a photo of a dog.",
                                          "dog art"}));
  EXPECT_NE(zero_shot_prompts({"cat"}, {"no placeholder"}).status().message().find("{}"),
            std::string::npos);
  EXPECT_EQ(zero_shot_prompts({"cat"}, {"{} and {}"}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(zero_shot_prompts({"cat"}, {}).status().code(), StatusCode::kInvalidArgument);
}

TEST(ZeroShot, LabelVectorsEnsembleTemplates) {
  // label 0: prompts (1,0) and (0,1) -> (1,1)/sqrt2; label 1: (0,1) twice -> (0,1)
  auto v = zero_shot_label_vectors({{1, 0}, {0, 1}, {0, 1}, {0, 1}}, 2, 2);
  ASSERT_TRUE(v.ok());
  EXPECT_NEAR((*v)[0][0], std::sqrt(0.5), 1e-6);
  EXPECT_NEAR((*v)[0][1], std::sqrt(0.5), 1e-6);
  EXPECT_NEAR((*v)[1][1], 1, 1e-6);
  EXPECT_EQ(zero_shot_label_vectors({{1, 0}}, 2, 2).status().code(), StatusCode::kInvalidArgument);
}

TEST(ZeroShot, ClassifyOrdersBestFirst) {
  const auto scores = zero_shot_classify({0.6f, 0.8f}, {{1, 0}, {0, 1}, {0.6f, 0.8f}},
                                         ScoreScale{ModelInfo::ScoreKind::kSoftmax, 4.6f, 0});
  ASSERT_EQ(scores.size(), 3u);
  EXPECT_EQ(scores[0].label, 2u);
  EXPECT_EQ(scores[1].label, 1u);
  EXPECT_EQ(scores[2].label, 0u);
  EXPECT_GT(scores[0].probability, scores[1].probability);
}

TEST(ZeroShot, ParseLabels) {
  auto labels = zero_shot_parse_labels(" cat,dog , sports car,,");
  ASSERT_TRUE(labels.ok());
  EXPECT_EQ(*labels, (std::vector<std::string>{"cat", "dog", "sports car"}));
  EXPECT_EQ(zero_shot_parse_labels(" , ").status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace clipsearch::search

namespace clipsearch::search {
namespace {

TEST(ZeroShot, DefaultTemplatesFollowTheModelsLanguage) {
  ModelInfo clip;  // CLIP: "vit" + "clip" in the Hugging Face layout
  EXPECT_EQ(default_templates(clip), kDefaultTemplates);
  ModelInfo chinese_clip;
  chinese_clip.layout = "huggingface";
  chinese_clip.text_tower = "bert";
  EXPECT_EQ(default_templates(chinese_clip), (std::vector<std::string>{"{}的照片。"}));
  ModelInfo multilingual;  // open_clip's XLM-R CLIPs read English prompts too
  multilingual.layout = "open_clip";
  multilingual.text_tower = "bert";
  EXPECT_EQ(default_templates(multilingual), kDefaultTemplates);
}

}  // namespace
}  // namespace clipsearch::search
