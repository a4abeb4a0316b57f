// SearchService: the API routes of `clipsearch serve` over one catalog and its model.
//
//   GET  /api/search?q=TEXT&k=N&offset=O&min_score=S&folder=DIR&color=C&color_weight=W
//                      &since=DATE&until=DATE&min_size=500K&max_size=2M&type=jpeg,png&sort=date
//   POST /api/search   JSON {"q", "texts", "like", "image_weight", "not", "not_weight", "k",
//                      "offset", "min_score", "folder", "color", "color_weight", "since",
//                      "until", "min_size", "max_size", "type", "sort"} or multipart with an
//                      `image` file part and any of those as fields
//   GET  /api/folders  the folders 'folder' can name, with their image counts
//   POST /api/similarity  JSON {"id", "texts"} or multipart `image` + repeated `text` fields
//   GET  /api/images/{id}, GET /api/thumbnails/{id}?size=S, GET /api/status, GET /healthz
//   POST /api/index    rescan the library in the background (202; 409 when one runs)
//
// Every answer comes from the Library (clipsearch/library.h), which the server is a client of:
// it batches concurrent queries' forward passes (LibraryOptions::batching; texts its caches hold
// never wait) and re-reads the catalog's generation before each query, so results include what a
// running indexer has committed. Answers go through a ResultCache, keyed by that generation,
// which asks the shared cache (Redis) on a local miss when one is set; a query with an uploaded
// picture is cached by the SHA-256 of its bytes, like a text query. Every failure is a JSON
// error with a 4xx status for what the client sent (400 malformed, 404 unknown id, 422
// undecodable picture) and 503 + Retry-After when the batch queue is full
// (Response::from_status).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "clipsearch/library.h"
#include "clipsearch/shared_cache.h"
#include "server/metrics.h"
#include "server/router.h"

namespace clipsearch::server {

struct SearchServiceOptions {
  std::string thumbnail_dir;
  int64_t max_k = 1000;
  bool rescan = true;  // POST /api/index: a background rescan of the catalog's folders
  // serve --redis: search answers shared with other servers, scoped by `catalog_id` and kept
  // `answer_ttl` (the cache's key prefix names the model).
  std::shared_ptr<SharedCache> shared_answers;
  std::string catalog_id;
  std::chrono::seconds answer_ttl{3600};
};

class SearchService {
 public:
  // `library` (opened with the batching the server wants) must outlive the service.
  SearchService(Library* library, Metrics* metrics, SearchServiceOptions options);
  ~SearchService();

  void add_routes(Router* router);
  // A member of GET /api/status's answer computed by another part of the server at each call
  // (the background jobs running). Call before serving.
  void add_status_member(std::string name, std::function<nlohmann::json()> member);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// `batching` with observers that feed the server's metrics (batch sizes and queue depths per
// tower), for the LibraryOptions the server opens its library with.
QueryBatching batching_with_metrics(QueryBatching batching, Metrics* metrics);

}  // namespace clipsearch::server
