// Responses for the picture routes, independent of how an id maps to a file (the catalog does
// that): GET /api/thumbnails/{id}?size=N and GET /api/images/{id}. A route handler looks the id
// up and calls one of these.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "server/http_types.h"
#include "server/thumbnails.h"

namespace clipsearch::server {

// A decimal image id (digits only, fits int64), or nullopt.
std::optional<int64_t> parse_image_id(const std::string& text);

// The thumbnail of image `id` (file `source_path`) at ?size= (default 256), streamed from the
// cache. 400: a size that is not a number or not allowed; 404: the file is gone; 422: the file
// cannot be decoded. ETag from the cache key (304 on If-None-Match); cacheable for a day.
Response thumbnail_response(ThumbnailCache& cache, int64_t id, const std::string& source_path,
                            const Request& request, int default_size = 256);

// The original file, its Content-Type judged by its first bytes (only the formats the decoder
// accepts are served as images or videos; anything else as an attachment), streamed from disk;
// a Range request (one range) gets 206 with that part, or 416 outside the file.
Response image_file_response(const std::string& path, const Request& request);

}  // namespace clipsearch::server
