// Thumbnails: size, EXIF orientation, the decoder's limits, the disk cache and its key, and the
// picture routes' responses through a live server.
#include "server/thumbnails.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <vips/vips.h>

#include <filesystem>
#include <thread>

#include "image/vips_runtime.h"
#include "server/byte_range.h"
#include "server/http_server.h"
#include "server/image_responses.h"
#include "server/test_http_client.h"
#include "testing/test_util.h"
#include "testing/test_videos.h"

namespace clipsearch::server {
namespace {

// Writes a width x height JPEG with a gradient and the given EXIF orientation tag.
void write_jpeg(const std::string& path, int width, int height, int orientation = 1) {
  const Status ready = vips_ready();  // the project's init, as the server has it
  ASSERT_TRUE(ready.ok()) << ready.message();
  std::vector<uint8_t> px(static_cast<size_t>(width) * height * 3);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      uint8_t* p = &px[(static_cast<size_t>(y) * width + x) * 3];
      p[0] = static_cast<uint8_t>(x * 255 / width);
      p[1] = static_cast<uint8_t>(y * 255 / height);
      p[2] = 128;
    }
  }
  VipsImage* im =
      vips_image_new_from_memory(px.data(), px.size(), width, height, 3, VIPS_FORMAT_UCHAR);
  ASSERT_NE(im, nullptr);
  if (orientation != 1) vips_image_set_int(im, VIPS_META_ORIENTATION, orientation);
  ASSERT_EQ(vips_jpegsave(im, path.c_str(), nullptr), 0);
  g_object_unref(im);
}

RgbImage decode_jpeg_bytes(const std::string& bytes) {
  auto img = image_decode_memory(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(),
                                 "thumbnail");
  EXPECT_TRUE(img.ok()) << img.status().message();
  return img.ok() ? std::move(img).value() : RgbImage();
}

TEST(Thumbnails, FitsTheBoxKeepsAspectAndNeverEnlarges) {
  clipsearch::testing::TempDir dir;
  write_jpeg(dir.file("wide.jpg"), 1200, 600);
  auto jpeg = thumbnail_jpeg(dir.file("wide.jpg"), 256, {});
  ASSERT_TRUE(jpeg.ok()) << jpeg.status().message();
  RgbImage t = decode_jpeg_bytes(*jpeg);
  EXPECT_EQ(t.width, 256);
  EXPECT_EQ(t.height, 128);
  write_jpeg(dir.file("small.jpg"), 100, 40);
  t = decode_jpeg_bytes(thumbnail_jpeg(dir.file("small.jpg"), 256, {}).value());
  EXPECT_EQ(t.width, 100);
  EXPECT_EQ(t.height, 40);
}

TEST(Thumbnails, AppliesExifOrientation) {
  clipsearch::testing::TempDir dir;
  write_jpeg(dir.file("rotated.jpg"), 400, 200, /*orientation=*/6);  // shown as 200 x 400
  RgbImage t = decode_jpeg_bytes(thumbnail_jpeg(dir.file("rotated.jpg"), 128, {}).value());
  EXPECT_EQ(t.width, 64);
  EXPECT_EQ(t.height, 128);
}

TEST(Thumbnails, UsesTheDecodersLimits) {
  clipsearch::testing::TempDir dir;
  write_jpeg(dir.file("big.jpg"), 300, 300);
  ThumbnailOptions options;
  options.decode.max_pixels = 1000;
  auto r = thumbnail_jpeg(dir.file("big.jpg"), 128, options);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("exceeds the limit"), std::string::npos);
  clipsearch::testing::write_file(dir.file("fake.jpg"), "<svg onload=alert(1)>");
  r = thumbnail_jpeg(dir.file("fake.jpg"), 128, {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("not a supported image"), std::string::npos);
}

TEST(ThumbnailCache, CachesByIdSizeAndFileVersion) {
  clipsearch::testing::TempDir src, cache_dir;
  const std::string photo = src.file("photo.jpg");
  write_jpeg(photo, 640, 480);
  ThumbnailCache cache(cache_dir.file("thumbs"));
  EXPECT_TRUE(cache.size_allowed(256));
  EXPECT_FALSE(cache.size_allowed(300));
  auto first = cache.get(7, photo, 128);
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_EQ(cache.made(), 1u);
  auto again = cache.get(7, photo, 128);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *first);
  EXPECT_EQ(cache.hits(), 1u);
  const std::string other_size = cache.get(7, photo, 256).value();
  EXPECT_NE(other_size, *first);  // another size: another file
  // No temp files left behind.
  for (const auto& e : std::filesystem::recursive_directory_iterator(cache_dir.path())) {
    EXPECT_EQ(e.path().filename().string().rfind(".tmp", 0), std::string::npos) << e.path();
  }
  // A changed source gets a new thumbnail.
  write_jpeg(photo, 320, 480);
  struct timespec times[2] = {{0, UTIME_NOW}, {1000, 0}};
  ASSERT_EQ(utimensat(AT_FDCWD, photo.c_str(), times, 0), 0);
  auto changed = cache.get(7, photo, 128);
  ASSERT_TRUE(changed.ok());
  EXPECT_NE(*changed, *first);
  // The old version of that size is removed; other sizes wait for their own request.
  EXPECT_FALSE(std::filesystem::exists(*first));
  EXPECT_TRUE(std::filesystem::exists(other_size));
  RgbImage t = decode_jpeg_bytes(clipsearch::testing::read_file(*changed));
  EXPECT_EQ(t.width, 85);
  EXPECT_EQ(t.height, 128);

  auto bad_size = cache.get(7, photo, 300);
  ASSERT_FALSE(bad_size.ok());
  EXPECT_NE(bad_size.status().message().find("128, 256, 512, 1024"), std::string::npos);
  EXPECT_FALSE(cache.get(8, src.file("missing.jpg"), 128).ok());
}

TEST(ThumbnailCache, ConcurrentRequestsForOneThumbnail) {
  clipsearch::testing::TempDir src, cache_dir;
  write_jpeg(src.file("p.jpg"), 500, 500);
  ThumbnailCache cache(cache_dir.file("t"));
  std::vector<std::thread> threads;
  std::vector<std::string> paths(6);
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&, i] { paths[i] = cache.get(1, src.file("p.jpg"), 128).value(); });
  }
  for (auto& t : threads) t.join();
  for (const std::string& p : paths) EXPECT_EQ(p, paths[0]);
  EXPECT_EQ(decode_jpeg_bytes(clipsearch::testing::read_file(paths[0])).width, 128);
}

TEST(PictureRoutes, ThumbnailAndImageResponsesThroughTheServer) {
  clipsearch::testing::TempDir src, cache_dir;
  write_jpeg(src.file("a.jpg"), 800, 400);
  clipsearch::testing::write_file(src.file("notes.txt"), "plain text");
  const std::map<int64_t, std::string> files = {
      {1, src.file("a.jpg")}, {2, src.file("gone.jpg")}, {3, src.file("notes.txt")}};
  ThumbnailCache cache(cache_dir.file("thumbs"));
  Router router;
  auto lookup = [&files](const Request& req) -> const std::string* {
    auto id = parse_image_id(req.path_params.at("id"));
    if (!id || !files.count(*id)) return nullptr;
    return &files.at(*id);
  };
  router.add("GET", "/api/thumbnails/{id}", [&](const Request& req) {
    const std::string* path = lookup(req);
    if (!path) return Response::error(404, "no such image");
    return thumbnail_response(cache, *parse_image_id(req.path_params.at("id")), *path, req);
  });
  router.add("GET", "/api/images/{id}", [&](const Request& req) {
    const std::string* path = lookup(req);
    return path ? image_file_response(*path, req) : Response::error(404, "no such image");
  });
  ServerConfig config;
  config.port = 0;
  auto server = HttpServer::start(config, std::move(router));
  ASSERT_TRUE(server.ok());
  const int port = (*server)->port();
  using testing::get_request;

  testing::RawResponse r = testing::exchange(port, get_request("/api/thumbnails/1?size=128"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers["content-type"], "image/jpeg");
  EXPECT_EQ(decode_jpeg_bytes(r.body).width, 128);
  const std::string etag = r.headers["etag"];
  EXPECT_FALSE(etag.empty());
  r = testing::exchange(
      port, get_request("/api/thumbnails/1?size=128", "If-None-Match: " + etag + "\r\n"));
  EXPECT_EQ(r.status, 304);
  EXPECT_EQ(testing::exchange(port, get_request("/api/thumbnails/1")).status, 200);  // 256
  EXPECT_EQ(testing::exchange(port, get_request("/api/thumbnails/1?size=100")).status, 400);
  EXPECT_EQ(testing::exchange(port, get_request("/api/thumbnails/1?size=-1")).status, 400);
  EXPECT_EQ(testing::exchange(port, get_request("/api/thumbnails/2")).status, 404);
  EXPECT_EQ(testing::exchange(port, get_request("/api/thumbnails/3")).status, 422);
  EXPECT_EQ(testing::exchange(port, get_request("/api/thumbnails/abc")).status, 404);

  r = testing::exchange(port, get_request("/api/images/1"));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.headers["content-type"], "image/jpeg");
  EXPECT_EQ(r.body, clipsearch::testing::read_file(src.file("a.jpg")));
  r = testing::exchange(port, get_request("/api/images/3"));
  EXPECT_EQ(r.headers["content-type"], "application/octet-stream");
  EXPECT_EQ(r.headers["content-disposition"], "attachment");
  EXPECT_EQ(testing::exchange(port, get_request("/api/images/2")).status, 404);
}

TEST(ByteRange, OneRangeServedOthersIgnored) {
  ByteRange r;
  const std::string a = "bytes=10-19", open = "bytes=90-", last = "bytes=-5", past = "bytes=100-",
                    many = "bytes=0-1,5-6", odd = "items=0-1", big = "bytes=95-200";
  EXPECT_EQ(parse_byte_range(nullptr, 100, &r), RangeAnswer::kWhole);
  ASSERT_EQ(parse_byte_range(&a, 100, &r), RangeAnswer::kPartial);
  EXPECT_EQ(r.first, 10);
  EXPECT_EQ(r.length, 10);
  ASSERT_EQ(parse_byte_range(&open, 100, &r), RangeAnswer::kPartial);
  EXPECT_EQ(r.length, 10);
  ASSERT_EQ(parse_byte_range(&last, 100, &r), RangeAnswer::kPartial);
  EXPECT_EQ(r.first, 95);
  ASSERT_EQ(parse_byte_range(&big, 100, &r), RangeAnswer::kPartial);
  EXPECT_EQ(r.length, 5);
  EXPECT_EQ(parse_byte_range(&past, 100, &r), RangeAnswer::kUnsatisfiable);
  EXPECT_EQ(parse_byte_range(&many, 100, &r), RangeAnswer::kWhole);
  EXPECT_EQ(parse_byte_range(&odd, 100, &r), RangeAnswer::kWhole);
}

// A video through the picture routes: its type, byte ranges (what a <video> element seeks
// with), and its cover frame as the thumbnail.
TEST(PictureRoutes, VideosServedInRangesWithACoverThumbnail) {
  clipsearch::testing::TempDir src, cache_dir;
  clipsearch::testing::VideoSpec spec;
  spec.container = "webm";
  clipsearch::testing::make_video(src.file("v.webm"), spec);
  const std::string bytes = clipsearch::testing::read_file(src.file("v.webm"));
  ThumbnailCache cache(cache_dir.file("thumbs"));
  Router router;
  router.add("GET", "/api/thumbnails/{id}", [&](const Request& req) {
    return thumbnail_response(cache, 1, src.file("v.webm"), req);
  });
  router.add("GET", "/api/images/{id}",
             [&](const Request& req) { return image_file_response(src.file("v.webm"), req); });
  ServerConfig config;
  config.port = 0;
  auto server = HttpServer::start(config, std::move(router));
  ASSERT_TRUE(server.ok());
  const int port = (*server)->port();
  using testing::get_request;

  testing::RawResponse r = testing::exchange(port, get_request("/api/images/1"));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.headers["content-type"], "video/webm");
  EXPECT_EQ(r.headers["accept-ranges"], "bytes");
  EXPECT_EQ(r.body, bytes);
  r = testing::exchange(port, get_request("/api/images/1", "Range: bytes=100-199\r\n"));
  ASSERT_EQ(r.status, 206);
  EXPECT_EQ(r.body, bytes.substr(100, 100));
  EXPECT_EQ(r.headers["content-range"], "bytes 100-199/" + std::to_string(bytes.size()));
  r = testing::exchange(port, get_request("/api/images/1", "Range: bytes=-10\r\n"));
  ASSERT_EQ(r.status, 206);
  EXPECT_EQ(r.body, bytes.substr(bytes.size() - 10));
  r = testing::exchange(port, get_request("/api/images/1", "Range: bytes=99999999-\r\n"));
  EXPECT_EQ(r.status, 416);
  EXPECT_EQ(r.headers["content-range"], "bytes */" + std::to_string(bytes.size()));

  r = testing::exchange(port, get_request("/api/thumbnails/1?size=128"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers["content-type"], "image/jpeg");
  EXPECT_EQ(decode_jpeg_bytes(r.body).width, 64);  // never enlarged
}

}  // namespace
}  // namespace clipsearch::server
