#include "server/serve_routes.h"

#include "server/openapi_document.h"
#include "server/static_assets.h"

namespace clipsearch::server {

void add_serve_routes(Router* router, SearchService* search, ZeroShotService* zero_shot) {
  add_static_routes(router);
  add_openapi_route(router);
  search->add_status_member("jobs", [zero_shot] { return zero_shot->running_jobs(); });
  search->add_routes(router);
  zero_shot->add_routes(router);
}

}  // namespace clipsearch::server
