#include "search/query_vector.h"

#include <gtest/gtest.h>

#include <cmath>

namespace clipsearch::search {
namespace {

float dot(const Embedding& a, const Embedding& b) {
  float s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

TEST(QueryVector, OneTextIsItself) {
  auto q = query_vector_combine({{0.6f, 0.8f}}, {}, {});
  ASSERT_TRUE(q.ok()) << q.status().message();
  EXPECT_NEAR((*q)[0], 0.6f, 1e-6);
  EXPECT_NEAR((*q)[1], 0.8f, 1e-6);
}

TEST(QueryVector, TextAndImageAreWeighted) {
  const Embedding t = {1, 0, 0}, im = {0, 1, 0};
  auto q = query_vector_combine({t}, {im}, {}, QueryWeights{0.25f, 0.5f});
  ASSERT_TRUE(q.ok());
  // (0.75, 0.25, 0) normalized
  const float n = std::sqrt(0.75f * 0.75f + 0.25f * 0.25f);
  EXPECT_NEAR((*q)[0], 0.75f / n, 1e-6);
  EXPECT_NEAR((*q)[1], 0.25f / n, 1e-6);
  EXPECT_NEAR(dot(*q, *q), 1.0f, 1e-6);
}

TEST(QueryVector, NegativesPushAway) {
  const Embedding t = {0.8f, 0.6f, 0}, neg = {0, 1, 0};
  auto plain = query_vector_combine({t}, {}, {});
  auto with_not = query_vector_combine({t}, {}, {neg}, QueryWeights{0.5f, 0.5f});
  ASSERT_TRUE(plain.ok() && with_not.ok());
  EXPECT_LT(dot(*with_not, neg), dot(*plain, neg));
  // normalize((0.8, 0.6 - 0.5, 0))
  const float n = std::sqrt(0.8f * 0.8f + 0.1f * 0.1f);
  EXPECT_NEAR((*with_not)[0], 0.8f / n, 1e-6);
  EXPECT_NEAR((*with_not)[1], 0.1f / n, 1e-6);
}

TEST(QueryVector, SeveralTextsAreAveraged) {
  auto q = query_vector_combine({{1, 0}, {0, 1}}, {}, {});
  ASSERT_TRUE(q.ok());
  EXPECT_NEAR((*q)[0], std::sqrt(0.5f), 1e-6);
  EXPECT_NEAR((*q)[1], std::sqrt(0.5f), 1e-6);
}

TEST(QueryVector, Errors) {
  EXPECT_NE(query_vector_combine({}, {}, {{1, 0}}).status().message().find("nothing to search"),
            std::string::npos);
  EXPECT_NE(query_vector_combine({{1, 0}}, {{1, 0, 0}}, {}).status().message().find("expected 2"),
            std::string::npos);
  EXPECT_NE(query_vector_combine({{1, 0}}, {}, {{1, 0}}, QueryWeights{0.5f, 1.0f})
                .status()
                .message()
                .find("zero"),
            std::string::npos);
  EXPECT_EQ(query_vector_combine({{1, 0}}, {{0, 1}}, {}, QueryWeights{1.5f, 0.5f}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(query_vector_combine({{0, 0}}, {}, {}).status().code(), StatusCode::kInvalidArgument);
  Embedding zero = {0, 0};
  EXPECT_EQ(query_vector_normalize(&zero).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace clipsearch::search
