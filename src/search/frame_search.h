// Videos in search: each video is ranked by its best frame (docs/SEARCH.md, "Videos").
//
// The item rows (the vector file, the HNSW graph) hold one row per photo and per video, the
// video's row being the mean of its frames; a query about one scene of a video is answered by
// the frames instead, scanned exactly here (a library holds far fewer frames than photos, and
// the scan is one dot_rows over them), and the video takes its best frame's score and time.
// Thread-safe: pure functions.
#pragma once

#include <cstdint>
#include <vector>

#include "index/catalog.h"
#include "index/vector_index.h"

namespace clipsearch::search {

struct FrameHit {
  int64_t id = 0;  // the video's image id
  float score = 0;
  int64_t time_ms = 0;  // its best frame (the earliest of equal scores)
};

// The ids of the videos that have frames, ascending and unique.
std::vector<int64_t> frame_video_ids(const FrameSnapshot& frames);

// The best frame of every video in `allowed` (ascending ids), in id order.
std::vector<FrameHit> best_frames(const FrameSnapshot& frames, const float* query,
                                  const std::vector<int64_t>& allowed);

// Item hits and frame hits as one ranking (ranks_before), the first `k`; `times` receives the
// time of each video hit kept.
std::vector<SearchHit> merge_frame_hits(std::vector<SearchHit> items,
                                        const std::vector<FrameHit>& videos, int64_t k,
                                        std::vector<std::pair<int64_t, int64_t>>* times);

}  // namespace clipsearch::search
