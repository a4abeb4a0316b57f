#include "server/search_service.h"

#include <algorithm>
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

#include "core/sha256.h"
#include "server/api_params.h"
#include "server/facet_routes.h"
#include "server/image_responses.h"
#include "server/multipart.h"
#include "server/rescan.h"
#include "server/result_cache.h"
#include "server/thumbnails.h"

namespace clipsearch::server {
namespace {

using nlohmann::json;

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
  std::optional<std::string> color;
  std::optional<float> color_weight;
  std::optional<int64_t> since_ns, until_ns;  // the date `date_field` names
  DateField date_field = DateField::kTaken;
  std::optional<int64_t> min_bytes, max_bytes;  // file size
  std::vector<std::string> types;               // formats, any of them
  std::vector<std::string> cameras;             // any of them
  SortOrder sort = SortOrder::kScore;
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

// The filters and the order: dates, sizes, types, sort (their parsers are the library's).
std::optional<ApiError> set_filter(ApiQuery* q, const std::string& name, const std::string& value) {
  const auto bad = [&](const Status& st) {
    return ApiError{400, "'" + name + "': " + st.message()};
  };
  if (name == "since" || name == "until") {
    Result<int64_t> ns = parse_query_date(value, name == "until");
    if (!ns.ok()) return bad(ns.status());
    (name == "since" ? q->since_ns : q->until_ns) = *ns;
  } else if (name == "date") {
    Result<DateField> field = parse_date_field(value);
    if (!field.ok()) return bad(field.status());
    q->date_field = *field;
  } else if (name == "min_size" || name == "max_size") {
    Result<int64_t> bytes = parse_query_size(value);
    if (!bytes.ok()) return bad(bytes.status());
    (name == "min_size" ? q->min_bytes : q->max_bytes) = *bytes;
  } else if (name == "type") {  // "jpeg,png"; repeated multipart fields add
    for (size_t start = 0; start <= value.size();) {
      const size_t comma = std::min(value.find(',', start), value.size());
      if (comma > start) q->types.push_back(value.substr(start, comma - start));
      start = comma + 1;
    }
  } else if (name == "camera") {  // one; a JSON list or repeated multipart fields for several
    q->cameras.push_back(value);
  } else if (name == "sort") {
    Result<SortOrder> sort = parse_sort_order(value);
    if (!sort.ok()) return bad(sort.status());
    q->sort = *sort;
  }
  return std::nullopt;
}

bool is_filter(const std::string& name) {
  return name == "since" || name == "until" || name == "date" || name == "min_size" ||
         name == "max_size" || name == "type" || name == "camera" || name == "sort";
}

// Sets one field of the query from a text value (query string or multipart field).
std::optional<ApiError> set_field(ApiQuery* q, const std::string& name, const std::string& value,
                                  int64_t max_k) {
  double v = 0;
  if (is_filter(name)) return set_filter(q, name, value);
  if (name == "q" || name == "text") {
    q->texts.push_back(value);
  } else if (name == "not") {
    q->negatives.push_back(value);
  } else if (name == "folder") {
    q->folder = value;
  } else if (name == "color") {
    q->color = value;
  } else if (name == "color_weight") {
    if (auto e = parse_number(name, value, 0, 1, &v)) return e;
    q->color_weight = static_cast<float>(v);
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
  for (const char* key :
       {"folder", "color", "since", "until", "date", "min_size", "max_size", "sort"}) {
    if (!j.contains(key)) continue;
    if (!j[key].is_string()) return ApiError{400, std::string("'") + key + "' must be a string"};
    if (auto e = set_field(&q, key, j[key].get<std::string>(), max_k)) return *e;
  }
  std::vector<std::string> types;
  if (auto e = json_strings(j, "type", &types)) return *e;
  for (const std::string& t : types) set_filter(&q, "type", t);
  if (auto e = json_strings(j, "camera", &q.cameras)) return *e;
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
  const std::string type = request_media_type(r);
  if (type == "multipart/form-data") {
    return query_from_multipart(r, *r.header("content-type"), max_k);
  }
  if (!type.empty() && type != "application/json") {
    return ApiError{415, "send application/json or multipart/form-data"};
  }
  return query_from_json(r.body, max_k);
}

Response error_response(const ApiError& e) {
  if (e.status == 503) return Response::overloaded(e.message);
  return Response::error(e.status, e.message);
}

// The failed files /api/status lists (the first ones; "errors" counts them all).
constexpr size_t kStatusFailures = 50;

json failures_json(const LibraryStatus& st) {
  json out = json::array();
  for (const IndexingReport::Failure& f : st.failures) {
    out.push_back({{"path", f.path}, {"error", f.message}});
  }
  return out;
}

// What exact searches scan, as `clipsearch status` says it: the kind, the file's size and the
// recall@10 recorded for a compact store (each only when known).
// Where the query model's towers run; null before the first query loads it.
json devices_json(const LibraryUsage& usage) {
  if (usage.image_device.empty()) return nullptr;
  json devices = {{"image", usage.image_device}, {"text", usage.text_device}};
  if (!usage.device_note.empty()) devices["note"] = usage.device_note;
  return devices;
}

json vector_store_json(const LibraryStatus& st) {
  json store = {{"kind", st.vector_store}};
  if (st.vector_store_bytes) store["bytes"] = *st.vector_store_bytes;
  if (st.vector_store_recall) store["recall_at_10"] = *st.vector_store_recall;
  return store;
}

json kinds_json(const LibraryStatus& st) {
  json out = json::array();
  for (const LibraryStatus::Kind& k : st.kinds) {
    out.push_back({{"format", k.format}, {"video", k.video}, {"items", k.items}});
  }
  return out;
}

double elapsed_ms(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - since)
      .count();
}

}  // namespace

struct SearchService::Impl {
  Library& library;
  Metrics* metrics;
  SearchServiceOptions options;
  ThumbnailCache thumbnails;
  BackgroundRescan rescan;
  ResultCache results;
  std::vector<std::pair<std::string, std::function<json()>>> status_members;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();

  Impl(Library& l, Metrics* m, SearchServiceOptions o)
      : library(l),
        metrics(m),
        options(std::move(o)),
        thumbnails(options.thumbnail_dir),
        rescan(&l) {
    if (options.shared_answers) {
      results.set_shared(options.shared_answers, options.catalog_id, options.answer_ttl);
    }
    if (metrics) add_metrics();
  }

  void add_metrics() {
    const auto usage = [this](int64_t LibraryUsage::*field) {
      return [this, field] { return double(library.usage().*field); };
    };
    metrics->add_callback("clipsearch_text_cache_hits_total", "Text embeddings from the cache",
                          "counter", usage(&LibraryUsage::text_cache_hits));
    metrics->add_callback("clipsearch_text_cache_misses_total",
                          "Text embeddings not in the in-process cache", "counter",
                          usage(&LibraryUsage::text_cache_misses));
    metrics->add_callback("clipsearch_text_embeddings_computed_total",
                          "Texts that went through the text tower (in no cache)", "counter",
                          usage(&LibraryUsage::texts_embedded));
    metrics->add_callback("clipsearch_pictures_embedded_total",
                          "Query pictures that went through the image tower (in no cache)",
                          "counter", usage(&LibraryUsage::pictures_embedded));
    metrics->add_callback("clipsearch_result_cache_hits_total", "Searches answered from cache",
                          "counter", [this] { return double(results.hits()); });
    metrics->add_callback("clipsearch_result_cache_shared_hits_total",
                          "Searches answered from the shared cache (Redis)", "counter",
                          [this] { return double(results.shared_hits()); });
    metrics->add_callback("clipsearch_thumbnail_cache_hits_total", "Thumbnails from disk",
                          "counter", [this] { return double(thumbnails.hits()); });
  }

  static Query query_of(const ApiQuery& q) {
    Query query;
    query.option_names(
        {"'color'", "'color_weight'", "an 'image' or 'like'", "'image_weight'", "'not_weight'"});
    for (const std::string& t : q.texts) query.text(t);
    for (const std::string& n : q.negatives) query.negative(n);
    if (q.image) query.picture_bytes(*q.image);
    for (int64_t id : q.like_ids) query.like(id);
    query.image_weight(q.image_weight).negative_weight(q.negative_weight).min_score(q.min_score);
    if (!q.folder.empty()) query.folder(q.folder);
    if (q.color) query.color(*q.color);
    if (q.color_weight) query.color_weight(*q.color_weight);
    query.date_between(q.date_field, q.since_ns, q.until_ns);
    query.size_between(q.min_bytes, q.max_bytes);
    for (const std::string& t : q.types) query.format(t);
    for (const std::string& c : q.cameras) query.camera(c);
    query.sort(q.sort);
    return query;
  }

  // The query's canonical form: every parameter that changes the answer, an uploaded
  // picture by the SHA-256 of its bytes (the same picture in another file name or part order
  // is the same query).
  static std::string cache_key(const ApiQuery& q, const std::string& image_hash,
                               int64_t generation) {
    json j = {{"g", generation},
              {"i", image_hash},
              {"t", q.texts},
              {"n", q.negatives},
              {"l", q.like_ids},
              {"w", q.image_weight},
              {"nw", q.negative_weight},
              {"k", q.k},
              {"o", q.offset},
              {"m", q.min_score},
              {"f", q.folder},
              {"c", q.color.value_or("")},
              {"cw", q.color_weight.value_or(-1.0f)},
              {"d", {q.since_ns.value_or(-1), q.until_ns.value_or(-1)}},
              {"df", static_cast<int>(q.date_field)},
              {"b", {q.min_bytes.value_or(-1), q.max_bytes.value_or(-1)}},
              {"ty", q.types},
              {"cam", q.cameras},
              {"s", static_cast<int>(q.sort)}};
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
  }

  Response run_search(const ApiResult<ApiQuery>& parsed) {
    const auto start = std::chrono::steady_clock::now();
    if (auto* e = std::get_if<ApiError>(&parsed)) return error_response(*e);
    const ApiQuery& q = std::get<ApiQuery>(parsed);
    Result<int64_t> generation = library.generation();
    if (!generation.ok()) return Response::from_status(generation.status());
    const std::string image_hash =
        q.image ? hex(sha256_bytes(q.image->data(), q.image->size())) : std::string();
    if (std::optional<std::string> head = results.get(cache_key(q, image_hash, *generation))) {
      return search_answer(std::move(*head), start, true);
    }
    Result<SearchResults> page = library.search(query_of(q), q.k, q.offset);
    if (!page.ok()) return Response::from_status(page.status());
    std::string body = "{\"results\": [";
    for (size_t i = 0; i < page->hits.size(); ++i) {
      const ScoredImage& hit = page->hits[i];
      // A video found by a frame: the frame's time, where the page starts playing it.
      const std::string time =
          hit.time ? ", \"time\": " + nlohmann::json(*hit.time).dump() : std::string();
      body += (i ? ", " : "") + scored_image_json(hit.image, hit.score, time);
    }
    body += "], \"total\": " + std::to_string(page->candidates);
    // How many the score cutoff keeps, when the search knows (the page shows it by its slider).
    if (page->above_min_score) body += ", \"kept\": " + std::to_string(*page->above_min_score);
    // What the scores are: cosines, or a SigLIP model's probabilities for a text query.
    body += std::string(", \"score_kind\": ") +
            (page->score_kind == ScoreKind::kProbability ? "\"probability\"" : "\"cosine\"");
    // Under the generation searched: a page of a newer one is still right for it.
    results.put(cache_key(q, image_hash, page->generation), body);
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
    if (request_media_type(r) == "multipart/form-data") {
      auto q = query_from_multipart(r, *r.header("content-type"), options.max_k);
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
    if (!image && !id) return Response::error(400, "send an 'image' part or an indexed image 'id'");
    Result<std::vector<TextScore>> scores =
        image ? library.similarity(QueryPicture{"", *image, "uploaded image"}, texts)
              : library.similarity(*id, texts);
    if (!scores.ok()) return Response::from_status(scores.status());
    json rows = json::array();
    for (const TextScore& s : *scores) {
      rows.push_back({{"text", s.text}, {"cosine", s.cosine}, {"probability", s.probability}});
    }
    return Response::json(200, {{"texts", rows}});
  }

  // The indexed image of /api/.../{id}, or the response to send instead.
  std::variant<ImageInfo, Response> image_of(const Request& r) {
    const auto it = r.path_params.find("id");
    const std::optional<int64_t> id =
        it == r.path_params.end() ? std::nullopt : parse_image_id(it->second);
    if (!id) return Response::error(400, "the image id must be a non-negative integer");
    Result<ImageInfo> image = library.image(*id);
    if (!image.ok()) return Response::from_status(image.status());
    return std::move(image).value();
  }

  json indexing_status() const {
    const RescanState st = rescan.state();
    return {{"running", st.running}, {"done", st.done}, {"total", st.total},
            {"failed", st.failed},   {"runs", st.runs}, {"last_result", st.last_result}};
  }

  Response start_rescan() {
    if (!options.rescan) return Response::error(404, "rescanning is not enabled on this server");
    const Status st = rescan.start();
    if (!st.ok()) return Response::from_status(st);
    return Response::json(202, {{"started", true}});
  }

  Response status() {
    Result<LibraryStatus> st = library.status(kStatusFailures);
    if (!st.ok()) return Response::from_status(st.status());
    const LibraryUsage usage = library.usage();
    json answer = {{"model", st->model ? st->model->name : ""},
                   {"precision", st->model ? st->model->precision : ""},
                   {"images", st->images},
                   {"errors", st->errors},
                   {"failures", failures_json(*st)},
                   {"kinds", kinds_json(*st)},
                   {"folders", st->folders},
                   {"generation", st->generation},
                   {"index", usage.index.empty() ? "exact" : usage.index},
                   {"devices", devices_json(usage)},
                   {"vector_store", vector_store_json(*st)},
                   {"uptime_seconds", elapsed_ms(started) / 1000},
                   {"indexing", indexing_status()},
                   {"text_cache",
                    {{"hits", usage.text_cache_hits},
                     {"misses", usage.text_cache_misses},
                     {"size", usage.text_cache_size}}},
                   {"result_cache",
                    {{"hits", results.hits()},
                     {"misses", results.misses()},
                     {"shared_hits", results.shared_hits()}}},
                   {"pictures_embedded", usage.pictures_embedded}};
    for (const auto& [name, member] : status_members) answer[name] = member();
    return Response::json(200, answer);
  }
};

QueryBatching batching_with_metrics(QueryBatching batching, Metrics* metrics) {
  if (!metrics) return batching;
  Histogram* sizes[] = {&metrics->histogram("clipsearch_text_batch_size",
                                            "Queries per forward pass of texts not in the cache",
                                            linear_buckets(1, 1, 32)),
                        &metrics->histogram("clipsearch_image_batch_size",
                                            "Images per forward pass of uploaded pictures",
                                            linear_buckets(1, 1, 32))};
  Gauge* depths[] = {
      &metrics->gauge("clipsearch_text_queue_depth", "Queries waiting for a text forward pass"),
      &metrics->gauge("clipsearch_image_queue_depth",
                      "Uploaded pictures waiting for a forward pass")};
  const auto at = [](Tower t) { return t == Tower::kText ? 0 : 1; };
  batching.on_batch = [sizes0 = sizes[0], sizes1 = sizes[1], at](Tower t, size_t n) {
    (at(t) == 0 ? sizes0 : sizes1)->observe(static_cast<double>(n));
  };
  batching.on_queue_depth = [depth0 = depths[0], depth1 = depths[1], at](Tower t, size_t n) {
    (at(t) == 0 ? depth0 : depth1)->set(static_cast<int64_t>(n));
  };
  return batching;
}

SearchService::SearchService(Library* library, Metrics* metrics, SearchServiceOptions options)
    : impl_(std::make_unique<Impl>(*library, metrics, std::move(options))) {}

SearchService::~SearchService() = default;

void SearchService::add_status_member(std::string name, std::function<json()> member) {
  impl_->status_members.emplace_back(std::move(name), std::move(member));
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
    return image_file_response(std::get<ImageInfo>(image).path, r);
  });
  router->add("GET", "/api/thumbnails/{id}", [impl](const Request& r) {
    auto image = impl->image_of(r);
    if (auto* response = std::get_if<Response>(&image)) return std::move(*response);
    const ImageInfo& info = std::get<ImageInfo>(image);
    return thumbnail_response(impl->thumbnails, info.id, info.path, r);
  });
  router->add("GET", "/api/status", [impl](const Request&) { return impl->status(); });
  add_facet_routes(router, &impl->library);
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
