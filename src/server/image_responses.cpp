#include "server/image_responses.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "image/decode.h"
#include "image/video_decode.h"
#include "server/byte_range.h"

namespace clipsearch::server {

namespace {

const char* mime_type(ImageFormat f) {
  switch (f) {
    case ImageFormat::kJpeg:
      return "image/jpeg";
    case ImageFormat::kPng:
      return "image/png";
    case ImageFormat::kGif:
      return "image/gif";
    case ImageFormat::kWebp:
      return "image/webp";
    case ImageFormat::kTiff:
      return "image/tiff";
    case ImageFormat::kBmp:
      return "image/bmp";
    case ImageFormat::kHeif:
      return "image/heif";
    case ImageFormat::kAvif:
      return "image/avif";
    case ImageFormat::kRaw:  // the browser shows the thumbnail; the file itself is a download
    case ImageFormat::kUnknown:
      break;
  }
  return nullptr;
}

const char* video_mime_type(VideoFormat f) {
  switch (f) {
    case VideoFormat::kMp4:
      return "video/mp4";
    case VideoFormat::kMov:
      return "video/quicktime";
    case VideoFormat::kMatroska:
      return "video/x-matroska";
    case VideoFormat::kWebm:
      return "video/webm";
    case VideoFormat::kAvi:
      return "video/x-msvideo";
    case VideoFormat::kUnknown:
      break;
  }
  return nullptr;
}

bool is_regular_file(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

}  // namespace

std::optional<int64_t> parse_image_id(const std::string& text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  int64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

Response thumbnail_response(ThumbnailCache& cache, int64_t id, const std::string& source_path,
                            const Request& request, int default_size) {
  int size = default_size;
  const std::string size_text = request.query_value("size");
  if (!size_text.empty()) {
    const std::optional<int64_t> parsed = parse_image_id(size_text);
    if (!parsed || !cache.size_allowed(static_cast<int>(*parsed))) {
      return Response::error(400, "size must be one of " + cache.allowed_sizes_text());
    }
    size = static_cast<int>(*parsed);
  }
  if (!is_regular_file(source_path)) {
    return Response::error(404, "image " + std::to_string(id) + ": file not found");
  }
  Result<std::string> path = cache.get(id, source_path, size);
  if (!path.ok()) {
    return Response::error(422, "image " + std::to_string(id) + ": " + path.status().message());
  }
  std::string etag = "\"";  // built in steps: GCC 12 warns (-Wrestrict) on "x" + s + "x"
  etag += std::filesystem::path(*path).stem().string();
  etag += '"';
  const std::string* inm = request.header("if-none-match");
  Response r;
  if (inm != nullptr && inm->find(etag) != std::string::npos) {
    r.status = 304;
  } else {
    r = Response::file(*path, "image/jpeg");
  }
  r.set_header("ETag", etag);
  r.set_header("Cache-Control", "private, max-age=86400");
  return r;
}

Response image_file_response(const std::string& path, const Request& request) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Response::error(404, "file not found");
  uint8_t head[64] = {0};
  const ssize_t n = read(fd, head, sizeof head);
  struct stat st {};
  const bool stat_ok = fstat(fd, &st) == 0;
  close(fd);
  if (!stat_ok) return Response::error(404, "file not found");
  const size_t got = n > 0 ? static_cast<size_t>(n) : 0;
  const char* type = mime_type(image_sniff_format(head, got));
  if (type == nullptr) type = video_mime_type(video_sniff_format(head, got));
  Response r = Response::file(path, type ? type : "application/octet-stream");
  if (type == nullptr) r.set_header("Content-Disposition", "attachment");
  r.set_header("Cache-Control", "private, max-age=3600");
  // Browsers seek in a video by asking for byte ranges.
  r.set_header("Accept-Ranges", "bytes");
  const int64_t size = st.st_size;
  ByteRange range;
  switch (parse_byte_range(request.header("range"), size, &range)) {
    case RangeAnswer::kWhole:
      break;
    case RangeAnswer::kPartial:
      r.status = 206;
      r.file_offset = range.first;
      r.file_length = range.length;
      r.set_header("Content-Range", "bytes " + std::to_string(range.first) + "-" +
                                        std::to_string(range.first + range.length - 1) + "/" +
                                        std::to_string(size));
      break;
    case RangeAnswer::kUnsatisfiable: {
      Response bad = Response::error(416, "the range asked for lies outside the file");
      bad.set_header("Content-Range", "bytes */" + std::to_string(size));
      return bad;
    }
  }
  return r;
}

}  // namespace clipsearch::server
