// The values a search can be narrowed to, as API routes (facet_routes.cpp), for the page's
// filters. `library` must outlive the router.
#pragma once

#include "clipsearch/library.h"
#include "server/router.h"

namespace clipsearch::server {

// GET /api/folders -> {"folders": [{"path", "images"}]}, ascending by path ('folder').
// GET /api/cameras -> {"cameras": [{"camera", "images"}]}, ascending by name ('camera').
void add_facet_routes(Router* router, Library* library);

}  // namespace clipsearch::server
