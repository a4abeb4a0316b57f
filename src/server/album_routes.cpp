// The album routes of ZeroShotService: the albums stored in the catalog, an album's members, and
// POST /api/albums, which runs a theme file as `clipsearch albums --themes` does.
#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "search/album_store.h"
#include "server/api_params.h"
#include "server/zero_shot_routes.h"

namespace clipsearch::server {
namespace {

using Context = ZeroShotService::Context;
using nlohmann::json;

// [{"name", "count"}] for these albums.
Parsed<json> album_counts(Annotations& annotations, const std::vector<std::string>& names) {
  json out = json::array();
  for (const std::string& name : names) {
    auto members = annotations.album(name);
    if (!members.ok()) return Response::from_status(members.status());
    out.push_back({{"name", name}, {"count", members->size()}});
  }
  return out;
}

Response list_albums(Context& c) {
  return c.with_annotations([&](Annotations& annotations) -> Response {
    auto names = annotations.album_names();
    if (!names.ok()) return Response::from_status(names.status());
    CLIPSEARCH_PARSE_OR_RESPOND(const json albums, album_counts(annotations, *names));
    return Response::json(200, {{"albums", albums}});
  });
}

Response album_page(Context& c, const Request& r) {
  const std::string name = r.path_params.at("name");
  CLIPSEARCH_PARSE_OR_RESPOND(const int64_t k, query_integer(r, "k", 1, c.options.max_k, 100));
  CLIPSEARCH_PARSE_OR_RESPOND(const int64_t offset, query_integer(r, "offset", 0, INT64_MAX, 0));
  if (auto e = c.refresh()) return *e;
  return c.with_annotations([&](Annotations& annotations) -> Response {
    auto names = annotations.album_names();
    if (!names.ok()) return Response::from_status(names.status());
    if (std::find(names->begin(), names->end(), name) == names->end()) {
      return Response::error(404, "album '" + name + "': no such album");
    }
    auto members = search::album_images(c.searcher(), annotations, name);
    if (!members.ok()) return Response::from_status(members.status());
    std::vector<std::string> rows;
    for (size_t i = static_cast<size_t>(std::min<int64_t>(offset, members->size()));
         i < members->size() && rows.size() < static_cast<size_t>(k); ++i) {
      rows.push_back(scored_image_json((*members)[i].image, (*members)[i].score));
    }
    return Response::bytes(200,
                           "{\"album\": " + json_text(name) +
                               ", \"total\": " + std::to_string(members->size()) +
                               ", \"results\": " + json_list(rows) + "}",
                           "application/json");
  });
}

Response update_albums(Context& c, const Request& r) {
  CLIPSEARCH_PARSE_OR_RESPOND(const bool exclusive, query_flag(r, "exclusive"));
  CLIPSEARCH_PARSE_OR_RESPOND([[maybe_unused]] const json body, json_body(r));  // 415, 400
  auto themes = search::album_themes_parse(r.body, "the theme file");
  if (!themes.ok()) return Response::error(400, themes.status().message());
  if (auto e = c.refresh()) return *e;
  auto vectors = search::album_theme_vectors(*themes, c.embedder());
  if (!vectors.ok()) return Response::error(400, vectors.status().message());
  return c.with_annotations([&](Annotations& annotations) -> Response {
    auto update = search::albums_update(c.searcher(), annotations, *themes, *vectors, exclusive);
    if (!update.ok()) return Response::from_status(update.status());
    std::vector<std::string> names;
    for (const search::Theme& t : themes->themes) names.push_back(t.name);
    CLIPSEARCH_PARSE_OR_RESPOND(const json albums, album_counts(annotations, names));
    return Response::json(
        200,
        {{"classified", update->classified}, {"restarted", update->restarted}, {"albums", albums}});
  });
}

}  // namespace

void add_album_routes(Router* router, Context* c) {
  router->add("GET", "/api/albums", [c](const Request&) { return list_albums(*c); });
  router->add("GET", "/api/albums/{name}", [c](const Request& r) { return album_page(*c, r); });
  router->add(
      "POST", "/api/albums", [c](const Request& r) { return update_albums(*c, r); },
      RouteOptions{false, kJsonBodyLimit});
}

}  // namespace clipsearch::server
