// The click and recommendation routes of ZeroShotService: POST /api/clicks records a click as
// `clipsearch click` does; GET /api/recommend answers as `clipsearch recommend --json`.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "server/api_params.h"
#include "server/zero_shot_routes.h"

namespace clipsearch::server {
namespace {

using Context = ZeroShotService::Context;
using nlohmann::json;

constexpr size_t kMaxUserBytes = 256;

Response record_click(Context& c, const Request& r) {
  CLIPSEARCH_PARSE_OR_RESPOND(const json j, json_body(r));
  CLIPSEARCH_PARSE_OR_RESPOND(const std::string user, json_string(j, "user", kMaxUserBytes));
  CLIPSEARCH_PARSE_OR_RESPOND(const int64_t id, json_integer(j, "id", 0, INT64_MAX));
  if (Status st = c.library.record_click(user, id); !st.ok()) return Response::from_status(st);
  return Response::json(200, {{"recorded", true}, {"user", user}, {"id", id}});
}

Parsed<RecommendOptions> recommend_options(const Request& r) {
  RecommendOptions o;
  CLIPSEARCH_PARSE_OR_RESPOND(o.last_clicks, query_integer(r, "last", 1, 100000, 10));
  CLIPSEARCH_PARSE_OR_RESPOND(o.recency_weighted, query_flag(r, "recency"));
  CLIPSEARCH_PARSE_OR_RESPOND(o.half_life, query_number(r, "half_life", 0.001, 1e6, 3));
  return o;
}

Response recommend(Context& c, const Request& r) {
  const std::string user = r.query_value("user");
  if (user.empty() || user.size() > kMaxUserBytes) {
    return Response::error(
        400, "'user' is required (at most " + std::to_string(kMaxUserBytes) + " bytes)");
  }
  CLIPSEARCH_PARSE_OR_RESPOND(const int64_t k, query_integer(r, "k", 1, c.options.max_k, 10));
  CLIPSEARCH_PARSE_OR_RESPOND(const RecommendOptions options, recommend_options(r));
  auto found = c.library.recommend(user, k, options);
  if (!found.ok()) return Response::from_status(found.status());
  const std::string source = found->popular ? "\"popular\"" : "\"clicks\"";
  std::vector<std::string> rows;
  for (const ScoredImage& x : found->images) {
    rows.push_back(scored_image_json(x.image, x.score, ", \"source\": " + source));
  }
  return Response::bytes(200,
                         "{\"user\": " + json_text(user) + ", \"source\": " + source +
                             ", \"results\": " + json_list(rows) + "}",
                         "application/json");
}

}  // namespace

void add_recommend_routes(Router* router, Context* c) {
  router->add(
      "POST", "/api/clicks", [c](const Request& r) { return record_click(*c, r); },
      RouteOptions{false, kJsonBodyLimit});
  router->add("GET", "/api/recommend", [c](const Request& r) { return recommend(*c, r); });
}

}  // namespace clipsearch::server
