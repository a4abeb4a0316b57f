// The album routes of ZeroShotService: the albums stored in the catalog, an album's members, and
// POST /api/albums, which runs a theme file as `clipsearch albums --themes` does (and as an
// albums job does in the background: job_routes.cpp).
#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "server/api_params.h"
#include "server/zero_shot_routes.h"

namespace clipsearch::server {
namespace {

using Context = ZeroShotService::Context;
using nlohmann::json;

// [{"name", "count"}] for the albums named (all: `names` null), in the order of `names`.
Result<json> album_counts(Library& library, const std::vector<std::string>* names) {
  CLIPSEARCH_ASSIGN_OR_RETURN(std::vector<AlbumSize> albums, library.albums());
  json out = json::array();
  const auto add = [&](const AlbumSize& a) {
    out.push_back({{"name", a.name}, {"count", a.images}});
  };
  if (!names) {
    for (const AlbumSize& a : albums) add(a);
    return out;
  }
  for (const std::string& name : *names) {
    const auto it = std::find_if(albums.begin(), albums.end(),
                                 [&](const AlbumSize& a) { return a.name == name; });
    add(it != albums.end() ? *it : AlbumSize{name, 0});
  }
  return out;
}

Response list_albums(Context& c) {
  auto albums = album_counts(c.library, nullptr);
  if (!albums.ok()) return Response::from_status(albums.status());
  return Response::json(200, {{"albums", *albums}});
}

Response album_page(Context& c, const Request& r) {
  const std::string name = r.path_params.at("name");
  CLIPSEARCH_PARSE_OR_RESPOND(const int64_t k, query_integer(r, "k", 1, c.options.max_k, 100));
  CLIPSEARCH_PARSE_OR_RESPOND(const int64_t offset, query_integer(r, "offset", 0, INT64_MAX, 0));
  auto members = c.library.album(name);
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
}

Response update_albums(Context& c, const Request& r) {
  CLIPSEARCH_PARSE_OR_RESPOND(const bool exclusive, query_flag(r, "exclusive"));
  CLIPSEARCH_PARSE_OR_RESPOND([[maybe_unused]] const json body, json_body(r));  // 415, 400
  auto update = c.library.update_albums_from_text(r.body, "the theme file", exclusive);
  if (!update.ok()) return Response::from_status(update.status());
  auto answer = albums_update_json(c.library, *update);
  if (!answer.ok()) return Response::from_status(answer.status());
  return Response::json(200, *answer);
}

}  // namespace

Result<json> albums_update_json(Library& library, const AlbumsUpdate& update) {
  CLIPSEARCH_ASSIGN_OR_RETURN(json albums, album_counts(library, &update.albums));
  return json{
      {"classified", update.classified}, {"restarted", update.restarted}, {"albums", albums}};
}

void add_album_routes(Router* router, Context* c) {
  router->add("GET", "/api/albums", [c](const Request&) { return list_albums(*c); });
  router->add("GET", "/api/albums/{name}", [c](const Request& r) { return album_page(*c, r); });
  router->add(
      "POST", "/api/albums", [c](const Request& r) { return update_albums(*c, r); },
      RouteOptions{false, kJsonBodyLimit});
}

}  // namespace clipsearch::server
