#include "server/thumbnails.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "image/decode.h"
#include "image/video_decode.h"
#include "image/vips_encode.h"

namespace clipsearch::server {

namespace {

std::string errno_text() { return std::strerror(errno); }

// By the first bytes, as the indexer judges it: a video's thumbnail is its cover frame.
bool is_video(const std::string& path) {
  uint8_t head[64] = {0};
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const ssize_t n = ::read(fd, head, sizeof head);
  ::close(fd);
  return n > 0 && image_sniff_format(head, static_cast<size_t>(n)) == ImageFormat::kUnknown &&
         video_sniff_format(head, static_cast<size_t>(n)) != VideoFormat::kUnknown;
}

}  // namespace

Result<std::string> thumbnail_jpeg(const std::string& source_path, int size,
                                   const ThumbnailOptions& options) {
  if (size <= 0) return Status::error("thumbnail size must be positive");
  DecodeOptions decode = options.decode;
  decode.mode = DecodeMode::kFast;  // shrink-on-load keeps the short side >= size
  decode.fast_min_side = (size + 1) / 2;
  decode.exif = ExifMode::kApply;
  CLIPSEARCH_ASSIGN_OR_RETURN(RgbImage image, is_video(source_path)
                                                  ? video_cover_frame(source_path, options.decode)
                                                  : image_decode_file(source_path, decode));
  const int longest = std::max(image.width, image.height);
  if (longest > size) {
    const double scale = static_cast<double>(size) / longest;
    const int w = std::max(1, static_cast<int>(image.width * scale + 0.5));
    const int h = std::max(1, static_cast<int>(image.height * scale + 0.5));
    image = image_resize(image, w, h, ResampleFilter::kBilinear);
  }
  auto jpeg = image_encode_jpeg(image, options.quality);
  if (!jpeg.ok()) return jpeg.status().with_context(source_path + ": thumbnail");
  return jpeg;
}

Status write_file_atomic(const std::string& path, const std::string& bytes) {
  const std::filesystem::path target(path);
  const std::string dir = target.parent_path().string();
  std::string tmp = (target.parent_path() / ".tmp-XXXXXX").string();
  const int fd = mkostemp(tmp.data(), O_CLOEXEC);
  if (fd < 0) return Status::error(dir + ": cannot create a temp file: " + errno_text());
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string why = errno_text();
      close(fd);
      unlink(tmp.c_str());
      return Status::error(tmp + ": write failed: " + why);
    }
    done += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0 || close(fd) != 0) {
    const std::string why = errno_text();
    unlink(tmp.c_str());
    return Status::error(tmp + ": fsync failed: " + why);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = errno_text();
    unlink(tmp.c_str());
    return Status::error(path + ": rename failed: " + why);
  }
  const int dfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    fsync(dfd);
    close(dfd);
  }
  return Status();
}

ThumbnailCache::ThumbnailCache(std::string cache_dir, ThumbnailOptions options)
    : cache_dir_(std::move(cache_dir)), options_(std::move(options)) {}

bool ThumbnailCache::size_allowed(int size) const {
  return std::find(options_.sizes.begin(), options_.sizes.end(), size) != options_.sizes.end();
}

std::string ThumbnailCache::allowed_sizes_text() const {
  std::string out;
  for (int s : options_.sizes) out += (out.empty() ? "" : ", ") + std::to_string(s);
  return out;
}

Result<std::string> ThumbnailCache::get(int64_t id, const std::string& source_path, int size) {
  if (!size_allowed(size)) {
    return Status::error("thumbnail size " + std::to_string(size) + " is not one of " +
                         allowed_sizes_text());
  }
  struct stat st {};
  if (stat(source_path.c_str(), &st) != 0) {
    return Status::error(source_path + ": " + errno_text());
  }
  if (!S_ISREG(st.st_mode)) return Status::error(source_path + ": not a regular file");
  const int64_t mtime_ns =
      static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  char sub[8], name[96];
  std::snprintf(sub, sizeof sub, "%02x", static_cast<unsigned>(static_cast<uint64_t>(id) & 0xff));
  std::snprintf(name, sizeof name, "%lld-%d-%llx-%llx.jpg", static_cast<long long>(id), size,
                static_cast<unsigned long long>(mtime_ns),
                static_cast<unsigned long long>(st.st_size));
  const std::filesystem::path dir = std::filesystem::path(cache_dir_) / sub;
  const std::string path = (dir / name).string();
  if (access(path.c_str(), R_OK) == 0) {
    hits_++;
    return path;
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::error(dir.string() + ": cannot create the folder: " + ec.message());
  CLIPSEARCH_ASSIGN_OR_RETURN(std::string jpeg, thumbnail_jpeg(source_path, size, options_));
  CLIPSEARCH_RETURN_IF_ERROR(write_file_atomic(path, jpeg));
  made_++;
  remove_stale_versions(dir, std::to_string(id) + "-" + std::to_string(size) + "-", name);
  return path;
}

// Thumbnails of earlier versions of the file (other mtime or size in the name) are never
// served again; the one folder is listed when a new thumbnail is made, which is rare. A file
// that cannot be removed is left for the next time.
void ThumbnailCache::remove_stale_versions(const std::filesystem::path& dir,
                                           const std::string& prefix, const std::string& keep) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string file = entry.path().filename().string();
    if (file != keep && file.compare(0, prefix.size(), prefix) == 0) {
      std::filesystem::remove(entry.path(), ec);
    }
  }
}

}  // namespace clipsearch::server
