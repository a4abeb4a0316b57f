// GET /api/folders and /api/cameras: the folders and cameras a search can be narrowed to
// ('folder', 'camera' of /api/search), each with its images, for the page's filters.
#include "server/facet_routes.h"

#include <nlohmann/json.hpp>

namespace clipsearch::server {

void add_facet_routes(Router* router, Library* library) {
  router->add("GET", "/api/folders", [library](const Request&) {
    Result<std::vector<FolderSize>> folders = library->folders();
    if (!folders.ok()) return Response::from_status(folders.status());
    nlohmann::json rows = nlohmann::json::array();
    for (const FolderSize& f : *folders) rows.push_back({{"path", f.path}, {"images", f.images}});
    return Response::json(200, {{"folders", rows}});
  });
  router->add("GET", "/api/cameras", [library](const Request&) {
    Result<std::vector<CameraSize>> cameras = library->cameras();
    if (!cameras.ok()) return Response::from_status(cameras.status());
    nlohmann::json rows = nlohmann::json::array();
    for (const CameraSize& c : *cameras) {
      rows.push_back({{"camera", c.camera}, {"images", c.images}});
    }
    return Response::json(200, {{"cameras", rows}});
  });
}

}  // namespace clipsearch::server
