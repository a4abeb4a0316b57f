// Videos ranked by their best frame: the best frame per allowed video (ties: the earliest), and
// the merge with the item ranking (score, then id; k items; times only for videos kept).
#include "search/frame_search.h"

#include <gtest/gtest.h>

namespace clipsearch::search {
namespace {

// Two videos (ids 3 and 7) of 2-d frames; the query is (1, 0).
FrameSnapshot two_videos() {
  FrameSnapshot f;
  f.dim = 2;
  f.image_ids = {3, 3, 3, 7, 7};
  f.times_ms = {500, 1500, 2500, 500, 1500};
  f.vectors = {0.0f, 1.0f, 0.8f, 0.6f, 0.8f, 0.6f, 0.6f, 0.8f, -1.0f, 0.0f};
  return f;
}

TEST(FrameSearch, BestFramePerAllowedVideo) {
  const FrameSnapshot f = two_videos();
  EXPECT_EQ(frame_video_ids(f), (std::vector<int64_t>{3, 7}));
  const float query[2] = {1.0f, 0.0f};
  auto hits = best_frames(f, query, {3, 7});
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0].id, 3);
  EXPECT_FLOAT_EQ(hits[0].score, 0.8f);
  EXPECT_EQ(hits[0].time_ms, 1500);  // 1500 and 2500 tie: the earliest
  EXPECT_EQ(hits[1].id, 7);
  EXPECT_FLOAT_EQ(hits[1].score, 0.6f);
  EXPECT_EQ(hits[1].time_ms, 500);
  hits = best_frames(f, query, {7});  // a filter leaves video 3 out
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].id, 7);
  EXPECT_TRUE(best_frames(f, query, {}).empty());
}

TEST(FrameSearch, MergedWithItemsByScoreThenIdKeepingK) {
  const std::vector<SearchHit> items = {{1, 0.9f}, {2, 0.6f}, {5, 0.1f}};
  const std::vector<FrameHit> videos = {{3, 0.8f, 1500}, {7, 0.6f, 500}};
  std::vector<std::pair<int64_t, int64_t>> times;
  auto merged = merge_frame_hits(items, videos, 4, &times);
  ASSERT_EQ(merged.size(), 4u);
  EXPECT_EQ(merged[0].id, 1);
  EXPECT_EQ(merged[1].id, 3);
  EXPECT_EQ(merged[2].id, 2);  // 0.6 each: the smaller id first
  EXPECT_EQ(merged[3].id, 7);
  EXPECT_EQ(times, (std::vector<std::pair<int64_t, int64_t>>{{3, 1500}, {7, 500}}));
  merged = merge_frame_hits(items, videos, 2, &times);
  ASSERT_EQ(merged.size(), 2u);
  EXPECT_EQ(times, (std::vector<std::pair<int64_t, int64_t>>{{3, 1500}}));
}

}  // namespace
}  // namespace clipsearch::search
