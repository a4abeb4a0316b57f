#include "testing/test_images.h"

#include <vips/vips.h>

#include <cstdlib>
#include <stdexcept>
#include <vector>

#include "image/vips_runtime.h"

namespace clipsearch::testing {

std::string make_image(int width, int height, uint32_t seed, const std::string& format,
                       const std::string& exif_date) {
  // The project's init (untrusted loaders blocked), never libvips' own: see image/vips_runtime.h.
  if (const Status ready = vips_ready(); !ready.ok()) throw std::runtime_error(ready.message());
  std::vector<uint8_t> px(static_cast<size_t>(width) * height * 3);
  uint32_t s = seed * 2654435761u + 12345u;
  for (size_t i = 0; i < px.size(); ++i) {
    s = s * 1664525u + 1013904223u;
    px[i] = static_cast<uint8_t>((s >> 24) ^ (i * (seed % 7 + 1)));
  }
  VipsImage* img =
      vips_image_new_from_memory_copy(px.data(), px.size(), width, height, 3, VIPS_FORMAT_UCHAR);
  if (!img) throw std::runtime_error("vips_image_new_from_memory_copy failed");
  void* buf = nullptr;
  size_t len = 0;
  int rc;
  if (format == "jpeg") {
    if (!exif_date.empty()) {
      vips_image_set_string(img, "exif-ifd2-DateTimeOriginal", exif_date.c_str());
    }
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

}  // namespace clipsearch::testing
