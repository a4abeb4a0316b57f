// The library's folder list as an API route (folder_routes.cpp). `library` must outlive the
// router.
#pragma once

#include "clipsearch/library.h"
#include "server/router.h"

namespace clipsearch::server {

// GET /api/folders -> {"folders": [{"path", "images"}]}, ascending by path.
void add_folder_routes(Router* router, Library* library);

}  // namespace clipsearch::server
