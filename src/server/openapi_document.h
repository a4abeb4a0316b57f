// The OpenAPI 3 document of the HTTP API (web/openapi.json, embedded into the binary with the
// page) and the public route that serves it, GET /api/openapi.json.
//
// The file in web/ is the one description of every route, parameter, body, answer and error
// shape; openapi_test.cpp holds it to the router that `serve` builds (both ways), and
// tests/openapi/schemathesis_test.py holds the running server to it. Served with info.version
// set to the server's version, an ETag and 304 revalidation like the page's files.
#pragma once

#include <string>

#include "server/router.h"

namespace clipsearch::server {

// The document as served: the embedded file with info.version = clipsearch::version().
const std::string& openapi_document();

// GET /api/openapi.json, public (it holds no data).
void add_openapi_route(Router* router);

}  // namespace clipsearch::server
