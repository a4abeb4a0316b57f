// multipart/form-data (RFC 7578) parsing for uploads: POST /api/search with an `image` part and
// an optional `q` part.
//
// The whole body is already in memory (the HTTP layer bounded it); the parser copies each
// part's bytes out, checking the part count, each part's size and each part's header size
// against MultipartLimits. Anything malformed (no boundary, a part without a closing boundary,
// a part without Content-Disposition: form-data; name=...) is an error whose message is meant
// for the client's 400 response. Pure functions: thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "clipsearch/status.h"

namespace clipsearch::server {

struct MultipartPart {
  std::string name;          // the form field
  std::string filename;      // empty when the part is not a file
  std::string content_type;  // "text/plain" when the part does not say
  std::string data;
};

struct MultipartLimits {
  size_t max_parts = 16;
  size_t max_part_bytes = 20u << 20;
  size_t max_part_header_bytes = 8192;
};

// The boundary parameter of a Content-Type header that must be multipart/form-data.
Result<std::string> multipart_boundary(const std::string& content_type);

Result<std::vector<MultipartPart>> multipart_parse(std::string_view body,
                                                   const std::string& boundary,
                                                   const MultipartLimits& limits = {});

// The first part named `name`, or nullptr.
const MultipartPart* multipart_find(const std::vector<MultipartPart>& parts,
                                    const std::string& name);

}  // namespace clipsearch::server
