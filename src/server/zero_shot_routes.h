// What the route files of ZeroShotService share (private to src/server): the index, the model,
// the annotations connection and the limits. zero_shot_service.cpp makes it and registers the
// classify and duplicates routes; album_routes.cpp and recommend_routes.cpp add theirs.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "index/annotations.h"
#include "search/query_embedder.h"
#include "search/searcher.h"
#include "server/router.h"
#include "server/search_service.h"
#include "server/zero_shot_service.h"

namespace clipsearch::server {

// JSON request bodies of these routes (no uploads): 1 MiB.
inline constexpr size_t kJsonBodyLimit = 1u << 20;

struct ZeroShotService::Context {
  Context(SearchService* s, ZeroShotServiceOptions o) : search(s), options(std::move(o)) {}

  SearchService* search;
  ZeroShotServiceOptions options;

  search::Searcher& searcher() { return search->searcher(); }
  search::QueryEmbedder& embedder() { return search->embedder(); }

  // Re-reads the catalog's generation (new images from a running indexer); the 500 to send
  // when that fails.
  std::optional<Response> refresh();

  // Runs fn with the catalog's annotations, opened on first use, one request at a time (an
  // Annotations object is one SQLite connection).
  Response with_annotations(const std::function<Response(Annotations&)>& fn);

 private:
  std::mutex annotations_mutex_;
  std::unique_ptr<Annotations> annotations_;
};

void add_album_routes(Router* router, ZeroShotService::Context* context);
void add_recommend_routes(Router* router, ZeroShotService::Context* context);

}  // namespace clipsearch::server
