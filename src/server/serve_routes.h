// Every route of `clipsearch serve`, added in one place: the page, the OpenAPI document, the
// search routes and the zero-shot routes. cmd_serve.cpp and openapi_test.cpp build the router
// through this, so the test sees exactly the routes the server has.
#pragma once

#include "server/router.h"
#include "server/search_service.h"
#include "server/zero_shot_service.h"

namespace clipsearch::server {

void add_serve_routes(Router* router, SearchService* search, ZeroShotService* zero_shot);

}  // namespace clipsearch::server
