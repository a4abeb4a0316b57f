// ZeroShotService: the zero-shot routes of `clipsearch serve`, over the SearchService's index and
// model, computed by the same library code as the CLI commands (src/search: classifier,
// album_store, recommender, duplicates), so the API and the CLI give the same answers.
//
//   POST /api/classify    JSON {"labels", "templates", "top_k", "id"} or multipart with an
//                         `image` file part and `labels` / `template` / `top_k` fields
//   POST /api/clicks      JSON {"user", "id"}: records a click
//   GET  /api/recommend?user=U&k=N&last=N&recency=true&half_life=H
//   GET  /api/albums      albums stored in the catalog, with their sizes
//   GET  /api/albums/{name}?k=N&offset=O    an album's members, best first
//   POST /api/albums?exclusive=true         body: a theme file; updates the stored albums
//   GET  /api/duplicates?threshold=T        groups of near-identical images (never deletes)
//
// Clicks and albums live in the catalog's annotation tables, through one connection opened on
// first use and used by one request at a time. Errors follow SearchService: JSON, 400 for what
// is malformed, 404 for an unknown image or album, 415 for a body that is not JSON.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "server/router.h"
#include "server/search_service.h"

namespace clipsearch::server {

struct ZeroShotServiceOptions {
  std::string db;  // the catalog (its annotation tables)
  int64_t max_k = 1000;
};

class ZeroShotService {
 public:
  // `search` must outlive this service.
  ZeroShotService(SearchService* search, ZeroShotServiceOptions options);
  ~ZeroShotService();

  void add_routes(Router* router);

  struct Context;

 private:
  std::unique_ptr<Context> context_;
};

}  // namespace clipsearch::server
