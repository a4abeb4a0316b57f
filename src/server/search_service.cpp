#include "server/search_service.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iterator>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "clipsearch/image.h"
#include "search/query_plan.h"
#include "search/query_vector.h"
#include "search/zero_shot.h"
#include "server/api_params.h"
#include "server/image_responses.h"
#include "server/multipart.h"
#include "server/result_cache.h"

namespace clipsearch::server {
namespace {

using nlohmann::json;
using search::Embedding;

// A Status that knows the HTTP status it should become.
struct ApiError {
  int status;
  std::string message;
};

template <class T>
using ApiResult = std::variant<T, ApiError>;

// What a search request asks for, whichever way it came.
struct ApiQuery {
  std::vector<std::string> texts;
  std::vector<std::string> negatives;
  std::vector<int64_t> like_ids;
  std::optional<std::string> image;  // uploaded file bytes
  float image_weight = kDefaultImageWeight;
  float negative_weight = kDefaultNegativeWeight;
  int64_t k = 20;
  int64_t offset = 0;
  float min_score = -std::numeric_limits<float>::infinity();
  std::string folder;
  search::ColorRequest color;  // color, color_weight
};

std::optional<ApiError> parse_number(const std::string& name, const std::string& text, double lo,
                                     double hi, double* out) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(v)) {
    return ApiError{400, "'" + name + "' must be a number, got '" + text + "'"};
  }
  if (v < lo || v > hi) {
    return ApiError{
        400, "'" + name + "' must be between " + std::to_string(lo) + " and " + std::to_string(hi)};
  }
  *out = v;
  return std::nullopt;
}

// Sets one field of the query from a text value (query string or multipart field).
std::optional<ApiError> set_field(ApiQuery* q, const std::string& name, const std::string& value,
                                  int64_t max_k) {
  double v = 0;
  if (name == "q" || name == "text") {
    q->texts.push_back(value);
  } else if (name == "not") {
    q->negatives.push_back(value);
  } else if (name == "folder") {
    q->folder = value;
  } else if (name == "color") {
    q->color.color = value;
  } else if (name == "color_weight") {
    if (auto e = parse_number(name, value, 0, 1, &v)) return e;
    q->color.weight = static_cast<float>(v);
  } else if (name == "k" || name == "offset" || name == "like") {
    const double hi = name == "k" ? static_cast<double>(max_k) : 1e15;
    if (auto e = parse_number(name, value, name == "k" ? 1 : 0, hi, &v)) return e;
    if (v != std::floor(v)) return ApiError{400, "'" + name + "' must be an integer"};
    (name == "k"        ? q->k
     : name == "offset" ? q->offset
                        : q->like_ids.emplace_back()) = static_cast<int64_t>(v);
  } else if (name == "image_weight" || name == "not_weight" || name == "min_score") {
    const double lo = name == "min_score" ? -1 : 0;
    const double hi = name == "image_weight" ? 1 : name == "min_score" ? 1 : 10;
    if (auto e = parse_number(name, value, lo, hi, &v)) return e;
    (name == "image_weight" ? q->image_weight
     : name == "not_weight" ? q->negative_weight
                            : q->min_score) = static_cast<float>(v);
  }
  return std::nullopt;  // unknown query parameters are ignored, as browsers add their own
}

ApiResult<ApiQuery> query_from_url(const Request& r, int64_t max_k) {
  ApiQuery q;
  for (const auto& [name, value] : r.query) {
    if (auto e = set_field(&q, name, value, max_k)) return *e;
  }
  return q;
}

std::optional<ApiError> json_strings(const json& j, const char* key,
                                     std::vector<std::string>* out) {
  if (!j.contains(key)) return std::nullopt;
  const json& v = j[key];
  if (v.is_string()) {
    out->push_back(v.get<std::string>());
    return std::nullopt;
  }
  if (!v.is_array()) return ApiError{400, std::string("'") + key + "' must be a string or a list"};
  for (const json& s : v) {
    if (!s.is_string()) return ApiError{400, std::string("'") + key + "' must hold strings"};
    out->push_back(s.get<std::string>());
  }
  return std::nullopt;
}

ApiResult<ApiQuery> query_from_json(const std::string& body, int64_t max_k) {
  const json j = json::parse(body, nullptr, false);
  if (j.is_discarded()) return ApiError{400, "the request body is not valid JSON"};
  if (!j.is_object()) return ApiError{400, "the request body must be a JSON object"};
  ApiQuery q;
  if (auto e = json_strings(j, "q", &q.texts)) return *e;
  if (auto e = json_strings(j, "texts", &q.texts)) return *e;
  if (auto e = json_strings(j, "not", &q.negatives)) return *e;
  for (const char* key : {"folder", "color"}) {
    if (!j.contains(key)) continue;
    if (!j[key].is_string()) return ApiError{400, std::string("'") + key + "' must be a string"};
    if (auto e = set_field(&q, key, j[key].get<std::string>(), max_k)) return *e;
  }
  if (j.contains("like")) {
    const json& like = j["like"];
    if (like.is_number_integer()) {
      q.like_ids.push_back(like.get<int64_t>());
    } else if (like.is_array()) {
      for (const json& id : like) {
        if (!id.is_number_integer()) return ApiError{400, "'like' must hold image ids"};
        q.like_ids.push_back(id.get<int64_t>());
      }
    } else {
      return ApiError{400, "'like' must be an image id or a list of ids"};
    }
  }
  for (const char* key :
       {"k", "offset", "image_weight", "not_weight", "min_score", "color_weight"}) {
    if (!j.contains(key)) continue;
    if (!j[key].is_number()) return ApiError{400, std::string("'") + key + "' must be a number"};
    if (auto e = set_field(&q, key, j[key].dump(), max_k)) return *e;
  }
  return q;
}

ApiResult<ApiQuery> query_from_multipart(const Request& r, const std::string& content_type,
                                         int64_t max_k) {
  auto boundary = multipart_boundary(content_type);
  if (!boundary.ok()) return ApiError{400, boundary.status().message()};
  auto parts = multipart_parse(r.body, *boundary);
  if (!parts.ok()) return ApiError{400, parts.status().message()};
  ApiQuery q;
  for (const MultipartPart& p : *parts) {
    if (p.name == "image") {
      if (p.data.empty()) return ApiError{400, "the 'image' part is empty"};
      q.image = p.data;
    } else if (auto e = set_field(&q, p.name, p.data, max_k)) {
      return *e;
    }
  }
  return q;
}

ApiResult<ApiQuery> query_from_post(const Request& r, int64_t max_k) {
  const std::string* type = r.header("content-type");
  if (type && type->rfind("multipart/form-data", 0) == 0) {
    return query_from_multipart(r, *type, max_k);
  }
  if (type && type->rfind("application/json", 0) != 0) {
    return ApiError{415, "send application/json or multipart/form-data"};
  }
  return query_from_json(r.body, max_k);
}

Response error_response(const ApiError& e) {
  if (e.status == 503) return Response::overloaded(e.message);
  return Response::error(e.status, e.message);
}

std::string result_json(const search::SearchResult& r) {
  return scored_image_json(r.image, r.score);
}

double elapsed_ms(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - since)
      .count();
}

}  // namespace

struct SearchService::Impl {
  std::unique_ptr<search::Searcher> searcher;
  std::unique_ptr<search::QueryEmbedder> embedder;
  Metrics* metrics;
  SearchServiceOptions options;
  ThumbnailCache thumbnails;
  std::unique_ptr<Batcher<ImageTensor, Embedding>> image_batcher;
  // One item is the texts of one query (positives, then negatives).
  std::unique_ptr<Batcher<std::vector<std::string>, std::vector<Embedding>>> text_batcher;
  std::unique_ptr<BackgroundRescan> rescan;
  ResultCache results;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();

  Impl(std::unique_ptr<search::Searcher> s, std::unique_ptr<search::QueryEmbedder> e, Metrics* m,
       SearchServiceOptions o)
      : searcher(std::move(s)),
        embedder(std::move(e)),
        metrics(m),
        options(std::move(o)),
        thumbnails(options.thumbnail_dir) {
    if (options.shared_cache) {
      embedder->set_shared_cache(options.shared_cache, options.text_ttl);
      results.set_shared(options.shared_cache, options.catalog_id, options.answer_ttl);
    }
    BatcherOptions batching = options.image_batching;
    batching.name = "image queries";
    BatcherOptions text_batching = options.image_batching;
    text_batching.name = "text queries";
    if (metrics) {
      batching.batch_sizes = &metrics->histogram("clipsearch_image_batch_size",
                                                 "Images per forward pass of uploaded pictures",
                                                 linear_buckets(1, 1, 32));
      batching.queue_depth = &metrics->gauge("clipsearch_image_queue_depth",
                                             "Uploaded pictures waiting for a forward pass");
      text_batching.batch_sizes = &metrics->histogram(
          "clipsearch_text_batch_size", "Queries per forward pass of texts not in the cache",
          linear_buckets(1, 1, 32));
      text_batching.queue_depth =
          &metrics->gauge("clipsearch_text_queue_depth", "Queries waiting for a text forward pass");
      metrics->add_callback("clipsearch_text_cache_hits_total", "Text embeddings from the cache",
                            "counter", [this] { return double(embedder->cache().hits()); });
      metrics->add_callback("clipsearch_text_cache_misses_total",
                            "Text embeddings not in the in-process cache", "counter",
                            [this] { return double(embedder->cache().misses()); });
      metrics->add_callback("clipsearch_text_embeddings_computed_total",
                            "Texts that went through the text tower (in no cache)", "counter",
                            [this] { return double(embedder->texts_embedded()); });
      metrics->add_callback("clipsearch_result_cache_hits_total", "Searches answered from cache",
                            "counter", [this] { return double(results.hits()); });
      metrics->add_callback("clipsearch_result_cache_shared_hits_total",
                            "Searches answered from the shared cache (Redis)", "counter",
                            [this] { return double(results.shared_hits()); });
      metrics->add_callback("clipsearch_thumbnail_cache_hits_total", "Thumbnails from disk",
                            "counter", [this] { return double(thumbnails.hits()); });
    }
    if (!options.db.empty()) {
      rescan = std::make_unique<BackgroundRescan>(options.db, embedder->shared_model(),
                                                  embedder->preprocess_config(),
                                                  embedder->decode_options(), options.identity);
    }
    image_batcher = std::make_unique<Batcher<ImageTensor, Embedding>>(
        [this](std::vector<ImageTensor>& items) { return embed_batch(items); }, batching);
    text_batcher = std::make_unique<Batcher<std::vector<std::string>, std::vector<Embedding>>>(
        [this](std::vector<std::vector<std::string>>& items) { return embed_text_batch(items); },
        text_batching);
  }

  // The texts of every queued query in one call: the cache answers what it holds, the rest share
  // one forward pass of the text tower.
  std::vector<Result<std::vector<Embedding>>> embed_text_batch(
      std::vector<std::vector<std::string>>& items) {
    std::vector<std::string> all;
    for (const auto& texts : items) all.insert(all.end(), texts.begin(), texts.end());
    auto embedded = embedder->embed_texts(all);
    std::vector<Result<std::vector<Embedding>>> results;
    auto next = embedded.ok() ? embedded->begin() : std::vector<Embedding>::iterator();
    for (const auto& texts : items) {
      if (!embedded.ok()) {
        // One query's bad text (an empty one) must not fail the others: each on its own.
        results.emplace_back(embedder->embed_texts(texts));
        continue;
      }
      const auto end = next + static_cast<std::ptrdiff_t>(texts.size());
      results.emplace_back(
          std::vector<Embedding>(std::make_move_iterator(next), std::make_move_iterator(end)));
      next = end;
    }
    return results;
  }

  // Embeddings of `texts` in order: from the cache on this thread when all are there, else
  // through the text batcher.
  Result<std::vector<Embedding>> embed_query_texts(const std::vector<std::string>& texts) {
    std::vector<Embedding> out;
    if (texts.empty() || embedder->cached_texts(texts, &out)) return out;
    auto future = text_batcher->submit(texts);
    if (!future.ok()) return Status::unavailable(future.status().message());
    return future->get();
  }

  // One forward pass for every queued picture.
  std::vector<Result<Embedding>> embed_batch(std::vector<ImageTensor>& items) {
    const size_t floats = items[0].data.size();
    const auto dim = static_cast<size_t>(embedder->model().info().embed_dim);
    std::vector<float> pixels(items.size() * floats);
    for (size_t i = 0; i < items.size(); ++i) {
      std::copy(items[i].data.begin(), items[i].data.end(), pixels.begin() + i * floats);
    }
    std::vector<float> out(items.size() * dim);
    const Status st = embedder->model().encode_images(
        pixels.data(), static_cast<int64_t>(items.size()), out.data());
    std::vector<Result<Embedding>> results;
    for (size_t i = 0; i < items.size(); ++i) {
      if (!st.ok()) {
        results.emplace_back(st);
      } else {
        results.emplace_back(Embedding(out.begin() + i * dim, out.begin() + (i + 1) * dim));
      }
    }
    return results;
  }

  // `color`, when given, receives the picture's colour signature from the same decode.
  Result<Embedding> embed_upload(const std::string& bytes, ColorSignature* color = nullptr) {
    const int64_t size = embedder->model().info().image_size;
    auto tensor = embedder->preprocess_image_memory(reinterpret_cast<const uint8_t*>(bytes.data()),
                                                    bytes.size(), "uploaded image", color);
    if (!tensor.ok()) {
      // What was sent cannot be read as a picture, whatever the decoder calls it.
      const Status& st = tensor.status();
      return st.code() == StatusCode::kUnsupported ? st : Status::corruption(st.message());
    }
    if (tensor->height != size || tensor->width != size) {
      return Status::error("the model's preprocessing does not match its image size");
    }
    auto future = image_batcher->submit(std::move(tensor).value());
    if (!future.ok()) return Status::unavailable(future.status().message());
    return future->get();
  }

  // The parts of a query embedded through the batchers: concurrent requests share forward passes.
  struct BatchedEncoder : search::QueryEncoder {
    explicit BatchedEncoder(Impl& impl) : impl(impl) {}
    Result<std::vector<Embedding>> texts(const std::vector<std::string>& texts) override {
      return impl.embed_query_texts(texts);
    }
    Result<Embedding> picture(const QueryPicture& picture, ColorSignature* color) override {
      return impl.embed_upload(picture.bytes, color);
    }
    Impl& impl;
  };

  static QueryParts query_parts(const ApiQuery& q) {
    Query query;
    query.option_names(
        {"'color'", "'color_weight'", "an 'image' or 'like'", "'image_weight'", "'not_weight'"});
    for (const std::string& t : q.texts) query.text(t);
    for (const std::string& n : q.negatives) query.negative(n);
    if (q.image) query.picture_bytes(*q.image);
    for (int64_t id : q.like_ids) query.like(id);
    query.image_weight(q.image_weight).negative_weight(q.negative_weight).min_score(q.min_score);
    if (!q.folder.empty()) query.folder(q.folder);
    if (q.color.color) query.color(*q.color.color);
    if (q.color.weight) query.color_weight(*q.color.weight);
    return query.parts();
  }

  // The query's canonical form; uploads are not cached (their bytes would be the key).
  static std::optional<std::string> cache_key(const ApiQuery& q, int64_t generation) {
    if (q.image) return std::nullopt;
    json j = {{"g", generation},
              {"t", q.texts},
              {"n", q.negatives},
              {"l", q.like_ids},
              {"w", q.image_weight},
              {"nw", q.negative_weight},
              {"k", q.k},
              {"o", q.offset},
              {"m", q.min_score},
              {"f", q.folder},
              {"c", q.color.color.value_or("")},
              {"cw", q.color.weight.value_or(-1.0f)}};
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
  }

  Response run_search(const ApiResult<ApiQuery>& parsed) {
    const auto start = std::chrono::steady_clock::now();
    if (auto* e = std::get_if<ApiError>(&parsed)) return error_response(*e);
    const ApiQuery& q = std::get<ApiQuery>(parsed);
    if (auto refreshed = searcher->refresh(); !refreshed.ok()) {
      return Response::from_status(refreshed.status());
    }
    const std::optional<std::string> key = cache_key(q, searcher->generation());
    if (key) {
      if (std::optional<std::string> head = results.get(*key)) {
        return search_answer(std::move(*head), start, true);
      }
    }
    BatchedEncoder encoder(*this);
    auto prepared =
        search::prepare_query(query_parts(q), q.k, q.offset, encoder, *searcher, options.db);
    if (!prepared.ok()) return Response::from_status(prepared.status());
    auto page = searcher->search(prepared->vector, prepared->request);
    if (!page.ok()) return Response::from_status(page.status());
    std::string body = "{\"results\": [";
    for (size_t i = 0; i < page->results.size(); ++i) {
      body += (i ? ", " : "") + result_json(page->results[i]);
    }
    body += "], \"total\": " + std::to_string(page->candidates);
    if (key) results.put(*key, body);
    return search_answer(std::move(body), start, false);
  }

  // The caches hold an answer without its timing: `head` is `{"results": [...], "total": N`,
  // completed here with this request's own query_ms and whether it came from a cache.
  static Response search_answer(std::string head, std::chrono::steady_clock::time_point start,
                                bool cached) {
    head += ", \"query_ms\": " + json(elapsed_ms(start)).dump() +
            ", \"cached\": " + (cached ? "true" : "false") + "}";
    return Response::bytes(200, std::move(head), "application/json");
  }

  Response similarity(const Request& r) {
    std::vector<std::string> texts;
    std::optional<int64_t> id;
    std::optional<std::string> image;
    const std::string* type = r.header("content-type");
    if (type && type->rfind("multipart/form-data", 0) == 0) {
      auto q = query_from_multipart(r, *type, options.max_k);
      if (auto* e = std::get_if<ApiError>(&q)) return error_response(*e);
      texts = std::get<ApiQuery>(q).texts;
      image = std::get<ApiQuery>(q).image;
    } else {
      const json j = json::parse(r.body, nullptr, false);
      if (j.is_discarded() || !j.is_object()) return Response::error(400, "expected a JSON object");
      if (auto e = json_strings(j, "texts", &texts)) return error_response(*e);
      if (!j.contains("id") || !j["id"].is_number_integer()) {
        return Response::error(400, "'id' (an indexed image) is required");
      }
      id = j["id"].get<int64_t>();
    }
    if (texts.empty()) return Response::error(400, "'texts' must list at least one text");
    Embedding picture;
    if (image) {
      Result<Embedding> e = embed_upload(*image);
      if (!e.ok()) return Response::from_status(e.status());
      picture = std::move(e).value();
    } else if (id) {
      auto found = searcher->indexed_image(*id);
      if (!found.ok()) return Response::from_status(found.status());
      picture = std::move(found->second);
    } else {
      return Response::error(400, "send an 'image' part or an indexed image 'id'");
    }
    Result<std::vector<Embedding>> embedded = embed_query_texts(texts);
    if (!embedded.ok()) return Response::from_status(embedded.status());
    const auto sim =
        search::zero_shot_similarity(picture, *embedded, embedder->model().info().logit_scale);
    json rows = json::array();
    for (size_t t = 0; t < texts.size(); ++t) {
      rows.push_back(
          {{"text", texts[t]}, {"cosine", sim.cosine[t]}, {"probability", sim.probability[t]}});
    }
    return Response::json(200, {{"texts", rows}});
  }

  // The catalog row of /api/.../{id}, or the response to send instead.
  std::variant<ImageRecord, Response> image_of(const Request& r) {
    const auto it = r.path_params.find("id");
    const std::optional<int64_t> id =
        it == r.path_params.end() ? std::nullopt : parse_image_id(it->second);
    if (!id) return Response::error(400, "the image id must be a non-negative integer");
    auto images = searcher->images({*id});
    if (!images.ok()) return Response::from_status(images.status());
    if (images->empty() || (*images)[0].status != ImageStatus::kOk) {
      return Response::error(404, "image " + std::to_string(*id) + ": not in the index");
    }
    return std::move((*images)[0]);
  }

  json indexing_status() const {
    if (!rescan) return {{"running", false}};
    const RescanState st = rescan->state();
    return {{"running", st.running}, {"done", st.done}, {"total", st.total},
            {"failed", st.failed},   {"runs", st.runs}, {"last_result", st.last_result}};
  }

  Response start_rescan() {
    if (!rescan) return Response::error(404, "rescanning is not enabled on this server");
    const Status st = rescan->start();
    if (!st.ok()) return Response::from_status(st);
    return Response::json(202, {{"started", true}});
  }

  Response status() {
    auto stats = searcher->stats();
    if (!stats.ok()) return Response::from_status(stats.status());
    return Response::json(200,
                          {{"model", options.model_name},
                           {"images", stats->images},
                           {"errors", stats->errors},
                           {"generation", stats->generation},
                           {"index", searcher->index_kind() == IndexKind::kHnsw ? "hnsw" : "exact"},
                           {"uptime_seconds", elapsed_ms(started) / 1000},
                           {"indexing", indexing_status()},
                           {"text_cache",
                            {{"hits", embedder->cache().hits()},
                             {"misses", embedder->cache().misses()},
                             {"size", embedder->cache().size()}}}});
  }
};

SearchService::SearchService(std::unique_ptr<search::Searcher> searcher,
                             std::unique_ptr<search::QueryEmbedder> embedder, Metrics* metrics,
                             SearchServiceOptions options)
    : impl_(std::make_unique<Impl>(std::move(searcher), std::move(embedder), metrics,
                                   std::move(options))) {}

SearchService::~SearchService() = default;

search::Searcher& SearchService::searcher() { return *impl_->searcher; }

search::QueryEmbedder& SearchService::embedder() { return *impl_->embedder; }

std::variant<Embedding, Response> SearchService::embed_upload(const std::string& bytes) {
  Result<Embedding> e = impl_->embed_upload(bytes);
  if (!e.ok()) return Response::from_status(e.status());
  return std::move(e).value();
}

void SearchService::add_routes(Router* router) {
  Impl* impl = impl_.get();
  router->add("GET", "/api/search", [impl](const Request& r) {
    return impl->run_search(query_from_url(r, impl->options.max_k));
  });
  router->add("POST", "/api/search", [impl](const Request& r) {
    return impl->run_search(query_from_post(r, impl->options.max_k));
  });
  router->add("POST", "/api/similarity", [impl](const Request& r) { return impl->similarity(r); });
  router->add("GET", "/api/images/{id}", [impl](const Request& r) {
    auto image = impl->image_of(r);
    if (auto* response = std::get_if<Response>(&image)) return std::move(*response);
    return image_file_response(std::get<ImageRecord>(image).path);
  });
  router->add("GET", "/api/thumbnails/{id}", [impl](const Request& r) {
    auto image = impl->image_of(r);
    if (auto* response = std::get_if<Response>(&image)) return std::move(*response);
    const ImageRecord& record = std::get<ImageRecord>(image);
    return thumbnail_response(impl->thumbnails, record.id, record.path, r);
  });
  router->add("GET", "/api/status", [impl](const Request&) { return impl->status(); });
  router->add("POST", "/api/index", [impl](const Request&) { return impl->start_rescan(); });
  router->add(
      "GET", "/healthz",
      [](const Request&) {
        return Response::json(200, {{"status", "ok"}});
      },
      RouteOptions{true, 0});
  Metrics* metrics = impl->metrics;
  if (metrics) {
    router->add("GET", "/metrics",
                [metrics](const Request&) { return metrics_response(*metrics); });
  }
}

}  // namespace clipsearch::server
