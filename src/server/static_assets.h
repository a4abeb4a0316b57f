// The web page (web/index.html, app.css, and its script as ES modules under web/js/), embedded into
// the binary at build time by cmake/EmbedFiles.cmake, and the routes that serve it.
//
// Served with their content types, an ETag computed from the bytes (a 64-bit FNV-1a hash) and
// "Cache-Control: no-cache", so a browser revalidates each time and gets 304 Not Modified until
// a new build changes a file. The routes are public (no token): they hold no data, and the page
// is what asks the user for the token.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "server/router.h"

namespace clipsearch::server {

struct EmbeddedFile {
  const char* name;  // path under web/: "index.html", "js/main.js"
  const unsigned char* data;
  size_t size;
};

// Defined in the generated web_assets.cpp.
const std::vector<EmbeddedFile>& embedded_web_files();

// The embedded file with this base name, or nullptr.
const EmbeddedFile* embedded_web_file(const std::string& name);

// A strong ETag for these bytes: "\"<16 hex digits>\"".
std::string content_etag(std::string_view bytes);

// 200 with the bytes, or 304 when the request's If-None-Match names the current ETag.
Response static_file_response(const EmbeddedFile& file, const Request& request);

// GET / (index.html), /app.css, /favicon.svg, /js/{name} (the modules of web/js/; 404 for any
// other name).
void add_static_routes(Router* router);

}  // namespace clipsearch::server
