#include "server/openapi_document.h"

#include <cassert>
#include <nlohmann/json.hpp>

#include "clipsearch/version.h"
#include "server/static_assets.h"

namespace clipsearch::server {

const std::string& openapi_document() {
  // Built once: the embedded bytes never change while the process runs.
  static const std::string kDocument = [] {
    const EmbeddedFile* file = embedded_web_file("openapi.json");
    assert(file != nullptr && "web/openapi.json missing from the build");
    // ordered_json: served in the file's own order (paths as written, not sorted).
    nlohmann::ordered_json doc =
        nlohmann::ordered_json::parse(reinterpret_cast<const char*>(file->data),
                                      reinterpret_cast<const char*>(file->data) + file->size);
    doc["info"]["version"] = version();
    return doc.dump(1);
  }();
  return kDocument;
}

void add_openapi_route(Router* router) {
  const std::string& text = openapi_document();
  const EmbeddedFile served{"openapi.json", reinterpret_cast<const unsigned char*>(text.data()),
                            text.size()};
  router->add("GET", "/api/openapi.json",
              [served](const Request& request) { return static_file_response(served, request); },
              {.public_route = true});
}

}  // namespace clipsearch::server
