#include "image/vips_encode.h"

#include <vips/vips.h>

#include <mutex>
#include <shared_mutex>

#include "image/vips_runtime.h"

namespace clipsearch {
namespace {

// One libvips JPEG encode; 0 on success, as libvips' own calls. The pixels are only read
// (vips_image_new_from_memory wraps them, it does not copy).
int encode(const RgbImage& image, int quality, std::string* out) {
  VipsImage* im = vips_image_new_from_memory(image.pixels.data(), image.pixels.size(), image.width,
                                             image.height, 3, VIPS_FORMAT_UCHAR);
  if (im == nullptr) return -1;
  void* buf = nullptr;
  size_t len = 0;
  const int rc =
      vips_jpegsave_buffer(im, &buf, &len, "Q", quality, "optimize_coding", TRUE, nullptr);
  g_object_unref(im);
  if (rc != 0 || buf == nullptr) return -1;
  out->assign(static_cast<const char*>(buf), len);
  g_free(buf);
  return 0;
}

}  // namespace

Result<std::string> image_encode_jpeg(const RgbImage& image, int quality) {
  CLIPSEARCH_RETURN_IF_ERROR(vips_ready());
  const std::string what = "JPEG encoding of a " + std::to_string(image.width) + "x" +
                           std::to_string(image.height) + " image";
  if (image.width <= 0 || image.height <= 0 ||
      image.pixels.size() != static_cast<size_t>(image.width) * image.height * 3) {
    return Status::invalid_argument(what + ": " + std::to_string(image.pixels.size()) +
                                    " bytes of pixels, expected width x height x 3");
  }
  std::string jpeg;
  {
    std::shared_lock<VipsErrorGate> hold(vips_error_gate());
    if (encode(image, quality, &jpeg) == 0) return jpeg;
  }
  // As the decoders (vips_runtime.h): read libvips' message while no other libvips work runs.
  std::lock_guard<VipsErrorGate> alone(vips_error_gate());
  vips_error_clear();
  if (encode(image, quality, &jpeg) == 0) return jpeg;  // it worked alone: no harm done
  const std::string message = vips_error_message();
  vips_error_clear();
  return Status::error(what + ": " + message);
}

}  // namespace clipsearch
