#include "search/frame_search.h"

#include <algorithm>
#include <unordered_set>

#include "index/dot.h"

namespace clipsearch::search {

std::vector<int64_t> frame_video_ids(const FrameSnapshot& frames) {
  std::vector<int64_t> ids = frames.image_ids;  // already in id order (Catalog::read_frames)
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

std::vector<FrameHit> best_frames(const FrameSnapshot& frames, const float* query,
                                  const std::vector<int64_t>& allowed) {
  const auto n = static_cast<int64_t>(frames.image_ids.size());
  std::vector<float> scores(static_cast<size_t>(n));
  if (n > 0) dot_rows(query, frames.vectors.data(), n, frames.dim, scores.data());
  std::vector<FrameHit> out;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t id = frames.image_ids[static_cast<size_t>(i)];
    if (!std::binary_search(allowed.begin(), allowed.end(), id)) continue;
    const float s = scores[static_cast<size_t>(i)];
    if (out.empty() || out.back().id != id) {
      out.push_back({id, s, frames.times_ms[static_cast<size_t>(i)]});
    } else if (s > out.back().score) {  // frames come in time order: ties keep the earliest
      out.back().score = s;
      out.back().time_ms = frames.times_ms[static_cast<size_t>(i)];
    }
  }
  return out;
}

std::vector<SearchHit> merge_frame_hits(std::vector<SearchHit> items,
                                        const std::vector<FrameHit>& videos, int64_t k,
                                        std::vector<std::pair<int64_t, int64_t>>* times) {
  for (const FrameHit& v : videos) items.push_back({v.id, v.score});
  std::sort(items.begin(), items.end(), ranks_before);
  if (static_cast<int64_t>(items.size()) > k) items.resize(static_cast<size_t>(k));
  std::unordered_set<int64_t> kept;
  for (const SearchHit& h : items) kept.insert(h.id);
  times->clear();
  for (const FrameHit& v : videos) {
    if (kept.count(v.id)) times->emplace_back(v.id, v.time_ms);
  }
  return items;
}

}  // namespace clipsearch::search
