// Albums kept in the catalog: a theme file turned into theme vectors with one model, the update
// that classifies the images not yet classified against those themes (a changed theme file,
// exclusive flag or model starts the albums afresh), and an album's members with their catalog
// rows. What `clipsearch albums` and the /api/albums routes share.
//
// The Searcher is thread-safe; an Annotations object is used from one thread at a time (the
// caller's to guarantee).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "clipsearch/status.h"
#include "index/annotations.h"
#include "search/albums.h"
#include "search/query_embedder.h"
#include "search/scan_control.h"
#include "search/searcher.h"

namespace clipsearch::search {

struct AlbumUpdate {
  size_t classified = 0;   // images classified by this update
  bool restarted = false;  // the themes (or model) changed: every album was made afresh
};

struct ThemeVectors {
  std::vector<Embedding> vectors;  // one per theme: the normalized mean of its keywords' vectors
  std::vector<float> thresholds;
};

// Progress of an albums run (a server's background job) counts one step per theme embedded,
// then one per row of the searcher looked at: total = themes + searcher.size(), known at once.
// Cancelled (polled after each theme and every kAlbumRowsPerStep rows): kUnavailable "albums:
// cancelled"; the classification is then not stored (a cancelled run that had started afresh
// leaves the new themes' albums empty, for the next run to fill).
inline constexpr int64_t kAlbumRowsPerStep = 256;

// Fails on what the theme file holds (a template without "{}", an empty keyword). `control`
// sees steps 1..themes of `total`.
Result<ThemeVectors> album_theme_vectors(const ThemeFile& themes, QueryEmbedder& embedder,
                                         const ScanControl& control = {}, int64_t total = 0);

// `vectors` from album_theme_vectors(themes); `control` sees the rows' steps after the themes'.
Result<AlbumUpdate> albums_update(Searcher& searcher, Annotations& annotations,
                                  const ThemeFile& themes, const ThemeVectors& vectors,
                                  bool exclusive, const ScanControl& control = {});

// The album's members, best first, scored by their cosine with the theme (unknown album: an
// empty list).
Result<std::vector<SearchResult>> album_images(Searcher& searcher, Annotations& annotations,
                                               const std::string& name);

}  // namespace clipsearch::search
