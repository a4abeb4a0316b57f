#include "server/static_assets.h"

#include <cassert>
#include <cstdint>
#include <cstdio>
#include <cstring>

namespace clipsearch::server {

namespace {

const char* content_type_for(const std::string& name) {
  auto ends = [&](const char* ext) {
    const size_t n = std::strlen(ext);
    return name.size() >= n && name.compare(name.size() - n, n, ext) == 0;
  };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".json")) return "application/json";
  return "application/octet-stream";
}

// If-None-Match: a list of ETags, or "*".
bool etag_matches(const std::string& header, const std::string& etag) {
  if (header.find('*') != std::string::npos) return true;
  size_t pos = 0;
  while ((pos = header.find(etag, pos)) != std::string::npos) {
    const size_t end = pos + etag.size();
    if (end == header.size() || header[end] == ',' || header[end] == ' ') return true;
    pos = end;
  }
  return false;
}

}  // namespace

const EmbeddedFile* embedded_web_file(const std::string& name) {
  for (const EmbeddedFile& f : embedded_web_files()) {
    if (name == f.name) return &f;
  }
  return nullptr;
}

std::string content_etag(std::string_view bytes) {
  uint64_t h = 14695981039346656037ull;  // FNV-1a 64
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char buf[24];
  std::snprintf(buf, sizeof buf, "\"%016llx\"", static_cast<unsigned long long>(h));
  return buf;
}

Response static_file_response(const EmbeddedFile& file, const Request& request) {
  const std::string etag =
      content_etag(std::string_view(reinterpret_cast<const char*>(file.data), file.size));
  Response r;
  const std::string* inm = request.header("if-none-match");
  if (inm != nullptr && etag_matches(*inm, etag)) {
    r.status = 304;
  } else {
    r = Response::bytes(200, std::string(reinterpret_cast<const char*>(file.data), file.size),
                        content_type_for(file.name));
  }
  r.set_header("ETag", etag);
  r.set_header("Cache-Control", "no-cache");
  return r;
}

namespace {

// GET /js/{name}: the page's modules (web/js/*.js); nothing else answers there.
Response module_response(const Request& request) {
  const std::string& name = request.path_params.at("name");
  const bool module = name.size() > 3 && name.compare(name.size() - 3, 3, ".js") == 0 &&
                      name.find('/') == std::string::npos;
  const EmbeddedFile* file = module ? embedded_web_file("js/" + name) : nullptr;
  if (file == nullptr) return Response::error(404, "no page module '" + name + "'");
  return static_file_response(*file, request);
}

}  // namespace

void add_static_routes(Router* router) {
  const std::pair<const char*, const char*> kRoutes[] = {
      {"/", "index.html"}, {"/app.css", "app.css"}, {"/favicon.svg", "favicon.svg"}};
  for (const auto& [path, name] : kRoutes) {
    const EmbeddedFile* file = embedded_web_file(name);
    assert(file != nullptr && "web/ file missing from the build");
    router->add("GET", path,
                [file](const Request& request) { return static_file_response(*file, request); },
                {.public_route = true});
  }
  assert(embedded_web_file("js/main.js") != nullptr && "web/js/ missing from the build");
  router->add("GET", "/js/{name}", module_response, {.public_route = true});
}

}  // namespace clipsearch::server
