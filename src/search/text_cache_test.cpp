#include "search/text_cache.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace clipsearch::search {
namespace {

TEST(TextEmbeddingCache, ReturnsWhatWasPut) {
  TextEmbeddingCache cache(4);
  std::vector<float> out;
  EXPECT_FALSE(cache.get("a dog", &out));
  cache.put("a dog", {1, 2, 3});
  ASSERT_TRUE(cache.get("a dog", &out));
  EXPECT_EQ(out, (std::vector<float>{1, 2, 3}));
  EXPECT_EQ(cache.hits(), 1u);
  EXPECT_EQ(cache.misses(), 1u);
}

TEST(TextEmbeddingCache, EvictsTheLeastRecentlyUsed) {
  TextEmbeddingCache cache(2);
  std::vector<float> out;
  cache.put("a", {1});
  cache.put("b", {2});
  ASSERT_TRUE(cache.get("a", &out));  // "b" is now the least recently used
  cache.put("c", {3});
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_FALSE(cache.get("b", &out));
  EXPECT_TRUE(cache.get("a", &out));
  EXPECT_TRUE(cache.get("c", &out));
}

TEST(TextEmbeddingCache, PutReplacesWithoutGrowing) {
  TextEmbeddingCache cache(2);
  std::vector<float> out;
  cache.put("a", {1});
  cache.put("a", {5});
  EXPECT_EQ(cache.size(), 1u);
  ASSERT_TRUE(cache.get("a", &out));
  EXPECT_EQ(out, std::vector<float>{5});
}

TEST(TextEmbeddingCache, GetAllIsAllOrNothing) {
  TextEmbeddingCache cache(2);
  cache.put("a", {1});
  cache.put("b", {2});
  std::vector<std::vector<float>> out{{9}};
  EXPECT_FALSE(cache.get_all({"a", "c"}, &out));
  EXPECT_EQ(out, (std::vector<std::vector<float>>{{9}}));  // untouched
  EXPECT_EQ(cache.hits() + cache.misses(), 0u);            // nothing counted
  ASSERT_TRUE(cache.get_all({"b", "a"}, &out));
  EXPECT_EQ(out, (std::vector<std::vector<float>>{{2}, {1}}));
  EXPECT_EQ(cache.hits(), 2u);
  cache.put("c", {3});  // "a" was used after "b": "a" stays, "b" goes
  std::vector<float> one;
  EXPECT_FALSE(cache.get("b", &one));
  EXPECT_TRUE(cache.get("a", &one));
}

TEST(TextEmbeddingCache, KeysAreExactBytes) {
  TextEmbeddingCache cache(4);
  std::vector<float> out;
  cache.put(std::string("a\0b", 3), {1});
  EXPECT_FALSE(cache.get("a", &out));
  EXPECT_FALSE(cache.get("A\0b", &out));
  EXPECT_TRUE(cache.get(std::string("a\0b", 3), &out));
}

TEST(TextEmbeddingCache, ConcurrentUseKeepsTheBound) {
  TextEmbeddingCache cache(64);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&cache, t] {
      std::vector<float> out;
      for (int i = 0; i < 2000; ++i) {
        const std::string key = std::to_string((i * 7 + t) % 100);
        if (!cache.get(key, &out)) cache.put(key, {static_cast<float>(i)});
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_LE(cache.size(), 64u);
  EXPECT_EQ(cache.hits() + cache.misses(), 8000u);
}

}  // namespace
}  // namespace clipsearch::search
