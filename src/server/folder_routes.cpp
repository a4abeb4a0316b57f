// GET /api/folders: the folders a search can be narrowed to ('folder' of /api/search), each with
// the images under it, for the page's folder filter.
#include "server/folder_routes.h"

#include <nlohmann/json.hpp>

namespace clipsearch::server {

void add_folder_routes(Router* router, Library* library) {
  router->add("GET", "/api/folders", [library](const Request&) {
    Result<std::vector<FolderSize>> folders = library->folders();
    if (!folders.ok()) return Response::from_status(folders.status());
    nlohmann::json rows = nlohmann::json::array();
    for (const FolderSize& f : *folders) rows.push_back({{"path", f.path}, {"images", f.images}});
    return Response::json(200, {{"folders", rows}});
  });
}

}  // namespace clipsearch::server
