// SearchService: the API routes of `clipsearch serve` over one catalog and its model.
//
//   GET  /api/search?q=TEXT&k=N&offset=O&min_score=S&folder=DIR&color=C&color_weight=W
//   POST /api/search   JSON {"q", "texts", "like", "image_weight", "not", "not_weight", "k",
//                      "offset", "min_score", "folder", "color", "color_weight"} or multipart
//                      with an `image` file part and optional `q`, `k`, `offset`,
//                      `image_weight`, `min_score`, `color`, `color_weight` fields
//   POST /api/similarity  JSON {"id", "texts"} or multipart `image` + repeated `text` fields
//   GET  /api/images/{id}, GET /api/thumbnails/{id}?size=S, GET /api/status, GET /healthz
//   POST /api/index    rescan the library in the background (202; 409 when one runs)
//
// Uploaded pictures are decoded and preprocessed on the request's thread, then embedded through
// a Batcher: concurrent uploads share one forward pass. Texts the QueryEmbedder's LRU cache
// holds are answered on the request's thread; the others go through a second Batcher, so that
// concurrent queries share one forward pass of the text tower. Answers go through a
// ResultCache. Both caches ask the shared cache (Redis) on a local miss when one is set. Before
// each query the Searcher re-reads the catalog's generation, so results include what a running
// indexer has committed. Every failure is a JSON error with a 4xx status for what the client
// sent (400 malformed, 404 unknown id, 422 undecodable picture) and 503 + Retry-After when the
// batch queue is full.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <variant>

#include "core/shared_cache.h"
#include "search/query_embedder.h"
#include "search/searcher.h"
#include "server/batcher.h"
#include "server/metrics.h"
#include "server/rescan.h"
#include "server/router.h"
#include "server/thumbnails.h"

namespace clipsearch::server {

struct SearchServiceOptions {
  BatcherOptions image_batching;  // max_batch, max_wait, max_queue; the text batcher's too
  std::string thumbnail_dir;
  int64_t max_k = 1000;
  std::string model_name;  // shown by /api/status
  // POST /api/index (a background rescan of the catalog's roots) when `db` is set.
  std::string db;
  ModelIdentity identity;
  // serve --redis: text embeddings and search answers shared with other servers (the cache's
  // key prefix names the model). Answers are scoped by `catalog_id` and kept `answer_ttl`;
  // text embeddings never go stale and are kept `text_ttl`, which only bounds memory.
  std::shared_ptr<SharedCache> shared_cache;
  std::string catalog_id;
  std::chrono::seconds answer_ttl{3600};
  std::chrono::seconds text_ttl{30 * 24 * 3600};
};

class SearchService {
 public:
  SearchService(std::unique_ptr<search::Searcher> searcher,
                std::unique_ptr<search::QueryEmbedder> embedder, Metrics* metrics,
                SearchServiceOptions options);
  ~SearchService();

  void add_routes(Router* router);

  // For the other route groups over the same index and model (zero_shot_service.h).
  search::Searcher& searcher();
  search::QueryEmbedder& embedder();
  // An uploaded picture's embedding through the batcher, or the error response to send.
  std::variant<search::Embedding, Response> embed_upload(const std::string& bytes);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace clipsearch::server
