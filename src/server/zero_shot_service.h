// ZeroShotService: the zero-shot routes of `clipsearch serve`, answered by the Library
// (clipsearch/library.h) as the CLI commands are, so the API and the CLI give the same answers.
//
//   POST /api/classify    JSON {"labels", "templates", "top_k", "id"} or multipart with an
//                         `image` file part and `labels` / `template` / `top_k` fields
//   POST /api/clicks      JSON {"user", "id"}: records a click
//   GET  /api/recommend?user=U&k=N&last=N&recency=true&half_life=H
//   GET  /api/albums      albums stored in the catalog, with their sizes
//   GET  /api/albums/{name}?k=N&offset=O    an album's members, best first
//   POST /api/albums?exclusive=true         body: a theme file; updates the stored albums
//   GET  /api/duplicates?threshold=T        groups of near-identical images (never deletes)
//   POST /api/jobs {"kind": "duplicates", "threshold"}, GET /api/jobs[/{id}], DELETE
//                         /api/jobs/{id}: the same scan as a background job (job_routes.cpp)
//
// Clicks and albums live in the catalog's annotation tables. Errors follow SearchService: JSON,
// 400 for what is malformed, 404 for an unknown image or album, 415 for a body that is not JSON.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>

#include "clipsearch/library.h"
#include "server/router.h"

namespace clipsearch::server {

struct ZeroShotServiceOptions {
  int64_t max_k = 1000;
};

class ZeroShotService {
 public:
  // `library` must outlive this service.
  ZeroShotService(Library* library, ZeroShotServiceOptions options);
  ~ZeroShotService();

  void add_routes(Router* router);
  // The background jobs still running (for /api/status).
  nlohmann::json running_jobs() const;

  struct Context;

 private:
  std::unique_ptr<Context> context_;
};

}  // namespace clipsearch::server
