// Near-duplicate groups: images whose embeddings are nearly identical (resized copies,
// re-encodes, bursts of the same scene).
//
// Two images are near-duplicates when their cosine similarity is at least the threshold; a
// group is a connected component of that relation (so a chain of bursts is one group). Every
// pair is compared exactly, by blocks of rows through sgemm on the thread pool: n^2 * dim
// multiply-adds (100,000 512-d vectors: about 5e12, a minute or two on two cores). Links are
// merged into the components as they are found, so memory is O(n) whatever the threshold (a
// threshold of 0 links most of the n^2 pairs). Nothing is ever deleted; the caller prints the
// groups.
#pragma once

#include <cstdint>
#include <vector>

#include "clipsearch/status.h"
#include "search/scan_control.h"
#include "search/searcher.h"

namespace clipsearch::search {

inline constexpr float kDefaultDuplicateThreshold = 0.95f;

struct DuplicateGroup {
  std::vector<int64_t> ids;  // ascending
  float min_similarity = 1;  // the lowest similarity among the group's linked pairs
};

// vectors: [n, dim] normalized rows, ids[n]. Groups of two or more, ordered by their first id.
// `control`: progress in block pairs scanned; cancelled, what was found so far is returned.
std::vector<DuplicateGroup> duplicate_groups(const float* vectors, const int64_t* ids, int64_t n,
                                             int64_t dim, float threshold,
                                             const ScanControl& control = {});

struct DuplicateImages {
  DuplicateGroup group;
  std::vector<ImageRecord> images;  // the group's catalog rows, by ascending id
};

// The groups among the rows a Searcher searches, with their catalog rows: what
// `clipsearch duplicates`, GET /api/duplicates and the duplicates job share. The scan reads a
// lease of the rows (Searcher::lease_rows), never holding the searcher's lock, so searches are
// answered meanwhile. Cancelled (control.cancelled): kUnavailable "duplicates: cancelled".
Result<std::vector<DuplicateImages>> duplicate_groups_indexed(Searcher& searcher, float threshold,
                                                              const ScanControl& control = {});

}  // namespace clipsearch::search
