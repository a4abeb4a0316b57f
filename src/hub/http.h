// A thin blocking HTTP client on libcurl for the hub: HEAD without following redirects (the
// hub's metadata is on the redirect itself), and GET into a file, appending from an offset with
// a Range request. Header names are lower-cased. Thread-safe (one curl handle per call).
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "clipsearch/status.h"

namespace clipsearch::hub {

struct HttpResponse {
  long status = 0;
  std::map<std::string, std::string> headers;  // of the last response, names lower-case
  std::string header(const std::string& name) const;
};

Result<HttpResponse> http_head(const std::string& url, const std::vector<std::string>& headers);

// GETs `url` (following redirects) appending the body of a 206 answer to `out`; a 200 answer
// replaces the file's content. `on_bytes` is told the body
// bytes written so far. On a dropped connection the Status is an error and *dropped is true.
Result<HttpResponse> http_get(const std::string& url, const std::vector<std::string>& headers,
                              std::FILE* out, const std::function<void(uint64_t)>& on_bytes,
                              bool* dropped);

}  // namespace clipsearch::hub
