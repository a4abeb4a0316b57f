// The formats libvips decodes here: PNG, GIF, WebP, TIFF, HEIF/AVIF. Policy
// (docs/IMAGE_PIPELINE.md): each format's own loader (never the generic sniffing loader, never
// ImageMagick or any other delegate); untrusted loaders blocked process-wide by vips_ready()
// (vips_runtime.h), which every entry here calls first; fail_on = VIPS_FAIL_ON_ERROR: truncated or
// corrupt data is an error, mere warnings are not; the pixel limit on the header; a wall-clock
// limit per image, enforced by killing the libvips evaluation; only the first frame (page 0), and
// for HEIF/AVIF the primary image.
#include "image/vips_load.h"

#include <vips/vips.h>

#include <chrono>
#include <cstring>
#include <mutex>
#include <shared_mutex>
#include <string>

#include "image/convert.h"
#include "image/gif_fill.h"
#include "image/orient.h"
#include "image/tiff_lab.h"
#include "image/vips_runtime.h"

namespace clipsearch {
namespace {

// Unrefs a VipsImage when it goes out of scope.
struct ImageRef {
  VipsImage* p = nullptr;
  ImageRef() = default;
  ImageRef(const ImageRef&) = delete;
  ImageRef& operator=(const ImageRef&) = delete;
  ~ImageRef() {
    if (p) g_object_unref(p);
  }
};

// Opens the header only (libvips loaders are lazy); `shrink` is WebP's shrink-on-load factor
// (1 = none).
int open_image(ImageFormat f, const uint8_t* data, size_t size, int shrink, VipsImage** out) {
  void* buf = const_cast<uint8_t*>(data);  // libvips reads, never writes, a load buffer
  const VipsFailOn fail = VIPS_FAIL_ON_ERROR;
  switch (f) {
    case ImageFormat::kPng:
      return vips_pngload_buffer(buf, size, out, "fail_on", fail, "access", VIPS_ACCESS_SEQUENTIAL,
                                 nullptr);
    case ImageFormat::kGif:
      return vips_gifload_buffer(buf, size, out, "fail_on", fail, "n", 1, "page", 0, "access",
                                 VIPS_ACCESS_SEQUENTIAL, nullptr);
    case ImageFormat::kWebp:
      return vips_webpload_buffer(buf, size, out, "fail_on", fail, "n", 1, "page", 0, "scale",
                                  1.0 / shrink, "access", VIPS_ACCESS_SEQUENTIAL, nullptr);
    case ImageFormat::kTiff:
      return vips_tiffload_buffer(buf, size, out, "fail_on", fail, "n", 1, "page", 0, "access",
                                  VIPS_ACCESS_SEQUENTIAL, nullptr);
    case ImageFormat::kHeif:
    case ImageFormat::kAvif:
      // No page: libvips then loads the primary image (pitm), not the first top-level one, and
      // never a thumbnail; libheif applies the primary's clap, irot and imir.
      return vips_heifload_buffer(buf, size, out, "fail_on", fail, "access", VIPS_ACCESS_SEQUENTIAL,
                                  nullptr);
    case ImageFormat::kJpeg:  // jpeg.cpp
    case ImageFormat::kBmp:   // bmp.cpp
    case ImageFormat::kRaw:   // raw.cpp
    case ImageFormat::kUnknown:
      break;
  }
  return -1;
}

// Where a libvips decode failed: opening (the header) or computing the pixels.
enum class VipsStep { kNone, kOpen, kPixels };

// Runs the failed decode's libvips steps again alone, and returns libvips' message for it.
std::string replay_failure(ImageFormat f, const uint8_t* data, size_t size, int shrink,
                           VipsStep step) {
  std::lock_guard<VipsErrorGate> alone(vips_error_gate());
  vips_error_clear();
  ImageRef img;
  bool failed = open_image(f, data, size, shrink, &img.p) != 0;
  if (!failed && step == VipsStep::kPixels) {
    size_t bytes = 0;
    void* pixels = vips_image_write_to_memory(img.p, &bytes);
    failed = pixels == nullptr;
    g_free(pixels);
  }
  std::string msg = failed ? vips_error_message() : "failed once, then decoded on a second try";
  vips_error_clear();
  return msg;
}

bool samples_are_16bit(VipsBandFormat f) { return f == VIPS_FORMAT_USHORT; }

// The EXIF orientation that still has to be applied. HEIF/AVIF: none. Their irot/imir
// transforms are normative and libheif has applied them; the EXIF orientation is informative
// only (ISO/IEC 23008-12) and phones write it to agree with irot, so applying it would turn the
// picture a second time (pillow-heif resets it to 1, libvips drops it).
int exif_orientation(ImageFormat f, VipsImage* im) {
  if (f == ImageFormat::kHeif || f == ImageFormat::kAvif) return 1;
  return vips_image_get_orientation(im);
}

// An EXIF text field's value, "" when absent. libvips renders EXIF fields as
// "VALUE (VALUE, ASCII, 6 components, 6 bytes)": the value is what precedes " (" + itself.
std::string exif_text(VipsImage* im, const char* field) {
  const char* raw = nullptr;
  if (!vips_image_get_typeof(im, field) || vips_image_get_string(im, field, &raw) != 0 || !raw) {
    return "";
  }
  const std::string text = raw;
  for (size_t pos = text.find(" ("); pos != std::string::npos; pos = text.find(" (", pos + 1)) {
    if (text.compare(pos + 2, pos, text, 0, pos) == 0) return text.substr(0, pos);
  }
  return text;
}

struct Deadline {
  std::chrono::steady_clock::time_point at;
  bool expired = false;
};

// "eval" signal handler: libvips calls it as pixels are computed; past the deadline it kills
// the evaluation, which then fails.
void on_eval(VipsImage* image, VipsProgress* /*progress*/, void* user) {
  auto* d = static_cast<Deadline*>(user);
  if (std::chrono::steady_clock::now() > d->at) {
    d->expired = true;
    vips_image_set_kill(image, TRUE);
  }
}

Result<SampleLayout> layout_of(VipsImage* im, const std::string& name) {
  const int bands = vips_image_get_bands(im);
  const bool cmyk = vips_image_get_interpretation(im) == VIPS_INTERPRETATION_CMYK;
  switch (bands) {
    case 1:
      return SampleLayout::kGray;
    case 2:
      return SampleLayout::kGrayAlpha;
    case 3:
      return SampleLayout::kRgb;
    case 4:
      return cmyk ? SampleLayout::kCmyk : SampleLayout::kRgba;
    case 5:
      if (cmyk) return SampleLayout::kCmykAlpha;
      break;
  }
  return Status::unsupported(name + ": unsupported image with " + std::to_string(bands) + " bands");
}

// The decode itself, under a shared hold of the error gate. A libvips failure sets `failed`
// (and returns a bare error): the caller gets the message once the hold is gone.
Result<RgbImage> decode_held(ImageFormat format, const uint8_t* data, size_t size,
                             const std::string& name, const DecodeOptions& options, int* shrink,
                             VipsStep* failed) {
  std::shared_lock<VipsErrorGate> hold(vips_error_gate());
  const std::string what = name + ": " + image_format_name(format);
  ImageRef img;
  if (open_image(format, data, size, 1, &img.p) != 0) {
    *failed = VipsStep::kOpen;
    return Status::corruption(what);
  }
  const int64_t w = vips_image_get_width(img.p), h = vips_image_get_height(img.p);
  if (w <= 0 || h <= 0) return Status::corruption(what + ": empty image");
  CLIPSEARCH_RETURN_IF_ERROR(image_check_pixel_limit(w, h, name, options));
  if (format == ImageFormat::kWebp) {
    // Shrink on load by 2, 4 or 8, never below twice the target short side.
    *shrink = image_fast_shrink(w, h, options);
    if (*shrink > 1) {
      ImageRef shrunk;
      if (open_image(format, data, size, *shrink, &shrunk.p) != 0) {
        *failed = VipsStep::kOpen;
        return Status::corruption(what);
      }
      std::swap(img.p, shrunk.p);
    }
  }

  const VipsBandFormat band_format = vips_image_get_format(img.p);
  if (band_format != VIPS_FORMAT_UCHAR && band_format != VIPS_FORMAT_USHORT) {
    return Status::unsupported(what + ": unsupported sample format (only 8- and 16-bit integer)");
  }
  // 8-bit CIELab TIFFs arrive LabQ-coded: the file's L, a, b bytes (tiff_lab.h converts them).
  const bool labq = vips_image_get_coding(img.p) == VIPS_CODING_LABQ;
  CLIPSEARCH_ASSIGN_OR_RETURN(SampleLayout layout, layout_of(img.p, name));
  const int orientation = options.exif == ExifMode::kApply ? exif_orientation(format, img.p) : 1;

  Deadline deadline{std::chrono::steady_clock::now() +
                    std::chrono::microseconds(static_cast<int64_t>(options.timeout_seconds * 1e6))};
  vips_image_set_progress(img.p, TRUE);
  g_signal_connect(img.p, "eval", G_CALLBACK(on_eval), &deadline);

  size_t bytes = 0;
  void* pixels = vips_image_write_to_memory(img.p, &bytes);
  if (!pixels) {
    if (deadline.expired) return image_timeout_error(name, options);
    *failed = VipsStep::kPixels;
    return Status::corruption(what);
  }
  if (labq) {
    const int iw = vips_image_get_width(img.p), ih = vips_image_get_height(img.p);
    Result<RgbImage> rgb = bytes == size_t{4} * iw * ih
                               ? tiff_lab_to_rgb(static_cast<uint8_t*>(pixels), iw, ih, what)
                               : Status::corruption(what + ": unexpected LabQ pixel layout");
    g_free(pixels);
    if (!rgb.ok()) return rgb;
    return image_orient(std::move(*rgb), orientation);
  }
  GifFirstFrame gif;
  if (format == ImageFormat::kGif && !samples_are_16bit(band_format) &&
      (layout == SampleLayout::kRgba || layout == SampleLayout::kRgb) &&
      options.alpha == AlphaMode::kDrop && gif_first_frame(data, size, &gif)) {
    // Pillow parity: outside the first frame's rectangle, and where it is transparent, Pillow
    // shows the fill index's palette colour; libvips leaves transparent black there.
    const int bands = layout == SampleLayout::kRgba ? 4 : 3;
    const int iw = vips_image_get_width(img.p), ih = vips_image_get_height(img.p);
    uint8_t* px = static_cast<uint8_t*>(pixels);
    for (int y = 0; y < ih; ++y) {
      for (int x = 0; x < iw; ++x) {
        uint8_t* p = px + (static_cast<size_t>(y) * iw + x) * bands;
        const bool outside =
            x < gif.left || x >= gif.left + gif.width || y < gif.top || y >= gif.top + gif.height;
        if (outside || (bands == 4 && p[3] == 0)) std::memcpy(p, gif.fill, 3);
      }
    }
  }
  DecodedSamples samples;
  samples.width = vips_image_get_width(img.p);
  samples.height = vips_image_get_height(img.p);
  samples.layout = layout;
  samples.sixteen_bit = band_format == VIPS_FORMAT_USHORT;
  samples.data = pixels;
  RgbImage rgb = image_samples_to_rgb(samples, options);
  g_free(pixels);
  return image_orient(std::move(rgb), orientation);
}

}  // namespace

Result<RgbImage> vips_decode(ImageFormat format, const uint8_t* data, size_t size,
                             const std::string& name, const DecodeOptions& options) {
  CLIPSEARCH_RETURN_IF_ERROR(vips_ready());
  int shrink = 1;
  VipsStep failed = VipsStep::kNone;
  Result<RgbImage> image = decode_held(format, data, size, name, options, &shrink, &failed);
  if (failed == VipsStep::kNone) return image;
  const std::string what = name + ": " + image_format_name(format);
  return Status::corruption(what + (failed == VipsStep::kOpen ? " header: " : ": ") +
                            replay_failure(format, data, size, shrink, failed));
}

Status vips_read_header(const uint8_t* data, size_t size, const std::string& name,
                        ImageHeader* header) {
  CLIPSEARCH_RETURN_IF_ERROR(vips_ready());
  const ImageFormat format = header->format;
  auto open_header = [&](VipsImage** out) {
    if (format != ImageFormat::kJpeg) return open_image(format, data, size, 1, out);
    return vips_jpegload_buffer(const_cast<uint8_t*>(data), size, out, "fail_on",
                                VIPS_FAIL_ON_ERROR, nullptr);
  };
  bool failed = false;
  {
    std::shared_lock<VipsErrorGate> hold(vips_error_gate());
    ImageRef img;
    if (open_header(&img.p) != 0) {
      failed = true;
    } else {
      header->width = vips_image_get_width(img.p);
      header->height = vips_image_get_height(img.p);
      header->orientation = exif_orientation(format, img.p);
      header->date_original = exif_text(img.p, "exif-ifd2-DateTimeOriginal").substr(0, 19);
      header->camera =
          camera_name(exif_text(img.p, "exif-ifd0-Make"), exif_text(img.p, "exif-ifd0-Model"));
    }
  }
  if (!failed) return Status();
  // As replay_failure: read libvips' message while no other libvips work runs.
  std::lock_guard<VipsErrorGate> alone(vips_error_gate());
  vips_error_clear();
  ImageRef img;
  const std::string message =
      open_header(&img.p) != 0 ? vips_error_message() : "failed once, then read on a second try";
  vips_error_clear();
  return Status::corruption(name + ": " + image_format_name(format) + " header: " + message);
}

}  // namespace clipsearch
