#include "testing/test_images.h"

#include <vips/vips.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "image/vips_runtime.h"

namespace clipsearch::testing {

namespace {

using ExifFields = std::vector<std::pair<std::string, std::string>>;

// Encodes RGB pixels [height, width, 3] as `format` (a JPEG with these EXIF fields).
std::string encode(const std::vector<uint8_t>& px, int width, int height, const std::string& format,
                   const ExifFields& exif) {
  // The project's init (untrusted loaders blocked), never libvips' own: see image/vips_runtime.h.
  if (const Status ready = vips_ready(); !ready.ok()) throw std::runtime_error(ready.message());
  VipsImage* img =
      vips_image_new_from_memory_copy(px.data(), px.size(), width, height, 3, VIPS_FORMAT_UCHAR);
  if (!img) throw std::runtime_error("vips_image_new_from_memory_copy failed");
  void* buf = nullptr;
  size_t len = 0;
  int rc;
  if (format == "jpeg") {
    for (const auto& [field, value] : exif)
      vips_image_set_string(img, field.c_str(), value.c_str());
    rc = vips_jpegsave_buffer(img, &buf, &len, "Q", 95, nullptr);
  } else if (format == "webp") {
    rc = vips_webpsave_buffer(img, &buf, &len, "Q", 90, nullptr);
  } else {
    rc = vips_pngsave_buffer(img, &buf, &len, nullptr);
  }
  g_object_unref(img);
  if (rc != 0) throw std::runtime_error("vips save failed: " + std::string(vips_error_buffer()));
  std::string out(static_cast<const char*>(buf), len);
  g_free(buf);
  return out;
}

std::vector<uint8_t> seeded_pixels(int width, int height, uint32_t seed) {
  std::vector<uint8_t> px(static_cast<size_t>(width) * height * 3);
  uint32_t s = seed * 2654435761u + 12345u;
  for (size_t i = 0; i < px.size(); ++i) {
    s = s * 1664525u + 1013904223u;
    px[i] = static_cast<uint8_t>((s >> 24) ^ (i * (seed % 7 + 1)));
  }
  return px;
}

}  // namespace

std::string make_image(int width, int height, uint32_t seed, const std::string& format,
                       const std::string& exif_date) {
  ExifFields exif;
  if (!exif_date.empty()) exif.emplace_back("exif-ifd2-DateTimeOriginal", exif_date);
  return encode(seeded_pixels(width, height, seed), width, height, format, exif);
}

std::string make_camera_jpeg(int width, int height, uint32_t seed, const std::string& make,
                             const std::string& model) {
  return encode(seeded_pixels(width, height, seed), width, height, "jpeg",
                {{"exif-ifd0-Make", make}, {"exif-ifd0-Model", model}});
}

std::string make_shapes_image(int width, int height, uint32_t seed) {
  std::mt19937 rng(seed);
  auto colour = [&] {
    return std::array<uint8_t, 3>{static_cast<uint8_t>(rng()), static_cast<uint8_t>(rng()),
                                  static_cast<uint8_t>(rng())};
  };
  std::vector<uint8_t> px(static_cast<size_t>(width) * height * 3);
  const auto background = colour();
  for (size_t i = 0; i < px.size(); ++i) px[i] = background[i % 3];
  const int shapes = 1 + static_cast<int>(rng() % 7);
  for (int n = 0; n < shapes; ++n) {
    const auto c = colour();
    const int x0 = static_cast<int>(rng() % static_cast<uint32_t>(width));
    const int y0 = static_cast<int>(rng() % static_cast<uint32_t>(height));
    const int w = 4 + static_cast<int>(rng() % static_cast<uint32_t>(width / 2));
    const int h = 4 + static_cast<int>(rng() % static_cast<uint32_t>(height / 2));
    const bool disc = rng() % 2 == 0;
    for (int y = y0; y < std::min(height, y0 + h); ++y) {
      for (int x = x0; x < std::min(width, x0 + w); ++x) {
        const double dx = (x - x0 - w / 2.0) / (w / 2.0), dy = (y - y0 - h / 2.0) / (h / 2.0);
        if (disc && dx * dx + dy * dy > 1.0) continue;
        for (int k = 0; k < 3; ++k) px[(static_cast<size_t>(y) * width + x) * 3 + k] = c[k];
      }
    }
  }
  return encode(px, width, height, "png", {});
}

}  // namespace clipsearch::testing
