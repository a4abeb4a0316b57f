#include "server/zero_shot_service.h"

#include <algorithm>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

#include "search/duplicates.h"
#include "search/zero_shot.h"
#include "server/api_params.h"
#include "server/multipart.h"
#include "server/zero_shot_routes.h"

namespace clipsearch::server {
namespace {

using nlohmann::json;

// What POST /api/classify asks for, whichever way it came.
struct ClassifyQuery {
  std::vector<std::string> labels;
  std::vector<std::string> templates;
  int64_t top_k = 5;
  std::optional<int64_t> id;
  std::optional<std::string> image;  // uploaded file bytes
};

constexpr int64_t kMaxLabels = 1000;

// "cat,dog" as the CLI's --labels takes it: trimmed, non-empty.
Parsed<std::vector<std::string>> comma_labels(const std::string& text) {
  auto labels = search::zero_shot_parse_labels(text);
  if (!labels.ok()) return Response::error(400, "'labels': " + labels.status().message());
  return std::move(labels).value();
}

Parsed<ClassifyQuery> classify_query_json(const Request& r) {
  CLIPSEARCH_PARSE_OR_RESPOND(const json j, json_body(r));
  ClassifyQuery q;
  if (j.contains("labels") && j["labels"].is_string()) {
    CLIPSEARCH_PARSE_OR_RESPOND(q.labels, comma_labels(j["labels"].get<std::string>()));
  } else {
    CLIPSEARCH_PARSE_OR_RESPOND(q.labels, json_string_list(j, "labels"));
  }
  CLIPSEARCH_PARSE_OR_RESPOND(q.templates, json_string_list(j, "templates"));
  CLIPSEARCH_PARSE_OR_RESPOND(q.top_k, json_integer(j, "top_k", 1, kMaxLabels, 5));
  if (j.contains("id")) {
    CLIPSEARCH_PARSE_OR_RESPOND(q.id, json_integer(j, "id", 0, INT64_MAX));
  }
  return q;
}

Parsed<ClassifyQuery> classify_query_multipart(const Request& r, const std::string& type) {
  auto boundary = multipart_boundary(type);
  if (!boundary.ok()) return Response::error(400, boundary.status().message());
  auto parts = multipart_parse(r.body, *boundary);
  if (!parts.ok()) return Response::error(400, parts.status().message());
  ClassifyQuery q;
  for (const MultipartPart& p : *parts) {
    if (p.name == "image") {
      if (p.data.empty()) return Response::error(400, "the 'image' part is empty");
      q.image = p.data;
    } else if (p.name == "labels") {
      CLIPSEARCH_PARSE_OR_RESPOND(const std::vector<std::string> labels, comma_labels(p.data));
      q.labels.insert(q.labels.end(), labels.begin(), labels.end());
    } else if (p.name == "template") {
      q.templates.push_back(p.data);
    } else if (p.name == "top_k") {
      CLIPSEARCH_PARSE_OR_RESPOND(q.top_k, parse_integer("top_k", p.data, 1, kMaxLabels));
    }
  }
  if (!q.image) return Response::error(400, "send an 'image' file part with the labels");
  return q;
}

Parsed<ClassifyQuery> classify_query(const Request& r) {
  Parsed<ClassifyQuery> q = request_media_type(r) == "multipart/form-data"
                                ? classify_query_multipart(r, *r.header("content-type"))
                                : classify_query_json(r);
  if (auto* query = std::get_if<ClassifyQuery>(&q)) {
    if (query->labels.empty()) return Response::error(400, "'labels' must list at least one label");
    if (query->labels.size() > static_cast<size_t>(kMaxLabels)) {
      return Response::error(400, "at most " + std::to_string(kMaxLabels) + " labels");
    }
    if (!query->image && !query->id) {
      return Response::error(400, "'id' (an indexed image) or an 'image' upload is required");
    }
  }
  return q;
}

Response classify(ZeroShotService::Context& c, const Request& r) {
  CLIPSEARCH_PARSE_OR_RESPOND(const ClassifyQuery q, classify_query(r));
  Result<std::vector<TextScore>> scores =
      q.image
          ? c.library.classify(QueryPicture{"", *q.image, "uploaded image"}, q.labels, q.templates)
          : c.library.classify(*q.id, q.labels, q.templates);
  if (!scores.ok()) return Response::from_status(scores.status());
  json rows = json::array();
  for (size_t i = 0; i < std::min(static_cast<size_t>(q.top_k), scores->size()); ++i) {
    const TextScore& s = (*scores)[i];
    rows.push_back({{"label", s.text}, {"probability", s.probability}, {"cosine", s.cosine}});
  }
  json out = {{"labels", rows}};
  if (q.id) out["id"] = *q.id;
  return Response::json(200, out);
}

// Answered here, synchronously, as before the jobs existed; the scan no longer holds the
// searcher's lock, so searches go on meanwhile. POST /api/jobs {"kind": "duplicates"} runs it in
// the background.
Response duplicates(ZeroShotService::Context& c, const Request& r) {
  CLIPSEARCH_PARSE_OR_RESPOND(
      const double threshold,
      query_number(r, "threshold", 0, 1, search::kDefaultDuplicateThreshold));
  auto groups = c.library.duplicates(static_cast<float>(threshold));
  if (!groups.ok()) return Response::from_status(groups.status());
  return Response::bytes(200, duplicates_body(threshold, *groups), "application/json");
}

}  // namespace

std::string duplicates_body(double threshold, const std::vector<DuplicateGroup>& groups) {
  std::vector<std::string> items;
  for (const DuplicateGroup& g : groups) {
    std::vector<std::string> images;
    for (const ImageInfo& image : g.images) images.push_back(image_json(image));
    items.push_back("{\"size\": " + std::to_string(g.images.size()) + ", \"min_similarity\": " +
                    json(g.min_similarity).dump() + ", \"images\": " + json_list(images) + "}");
  }
  return "{\"threshold\": " + json(threshold).dump() + ", \"groups\": " + json_list(items) + "}";
}

ZeroShotService::ZeroShotService(Library* library, ZeroShotServiceOptions options)
    : context_(std::make_unique<Context>(library, std::move(options))) {}

ZeroShotService::~ZeroShotService() = default;

nlohmann::json ZeroShotService::running_jobs() const { return running_jobs_json(*context_); }

void ZeroShotService::add_routes(Router* router) {
  Context* c = context_.get();
  router->add("POST", "/api/classify", [c](const Request& r) { return classify(*c, r); });
  router->add("GET", "/api/duplicates", [c](const Request& r) { return duplicates(*c, r); });
  add_album_routes(router, c);
  add_recommend_routes(router, c);
  add_job_routes(router, c);
}

}  // namespace clipsearch::server
