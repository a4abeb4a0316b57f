// Decoding with libvips. Policy (docs/IMAGE_PIPELINE.md):
// - formats allow-listed by magic bytes, each handed to its own libvips loader (never the
//   generic sniffing loader, never ImageMagick or any other delegate); untrusted loaders are
//   blocked process-wide (vips_block_untrusted_set);
// - the pixel limit is checked on the header, before any pixel is decoded;
// - fail_on = VIPS_FAIL_ON_ERROR: truncated or corrupt data is an error, mere warnings are not;
// - a wall-clock limit per image, enforced by killing the libvips evaluation;
// - only the first frame (page 0) of multi-frame files.
#include "image/decode.h"

#include <vips/vips.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <mutex>
#include <string>

#include "clipsearch/image.h"
#include "core/mapped_file.h"
#include "image/bmp.h"
#include "image/convert.h"
#include "image/gif_fill.h"
#include "image/jpeg.h"
#include "image/orient.h"

namespace clipsearch {

ImageFormat image_sniff_format(const uint8_t* d, size_t n) {
  auto starts = [&](const char* magic, size_t len, size_t at = 0) {
    return n >= at + len && std::memcmp(d + at, magic, len) == 0;
  };
  if (starts("\xFF\xD8\xFF", 3)) return ImageFormat::kJpeg;
  if (starts("\x89PNG\r\n\x1A\n", 8)) return ImageFormat::kPng;
  if (starts("GIF87a", 6) || starts("GIF89a", 6)) return ImageFormat::kGif;
  if (starts("RIFF", 4) && starts("WEBP", 4, 8)) return ImageFormat::kWebp;
  if (starts("II*\0", 4) || starts("MM\0*", 4)) return ImageFormat::kTiff;
  if (starts("BM", 2) && n >= 26) return ImageFormat::kBmp;
  if (starts("ftyp", 4, 4) && n >= 12) {
    // ISO base media: HEIF/AVIF brands only.
    static const char* kBrands[] = {"heic", "heix", "hevc", "hevx", "heim",
                                    "heis", "mif1", "msf1", "avif", "avis"};
    for (const char* b : kBrands) {
      if (starts(b, 4, 8)) return ImageFormat::kHeif;
    }
  }
  return ImageFormat::kUnknown;
}

int image_jpeg_scan_count(const uint8_t* d, size_t n) {
  int scans = 0;
  size_t i = 2;  // after SOI
  while (i + 1 < n) {
    if (d[i] != 0xFF) {  // entropy-coded data: on to the next 0xFF
      const void* ff = std::memchr(d + i, 0xFF, n - i);
      if (!ff) break;
      i = static_cast<size_t>(static_cast<const uint8_t*>(ff) - d);
      continue;
    }
    const uint8_t m = d[i + 1];
    if (m == 0xFF) {  // fill byte
      ++i;
      continue;
    }
    if (m == 0x00 || m == 0x01 || (m >= 0xD0 && m <= 0xD7)) {  // stuffed byte, TEM, RSTn
      i += 2;
      continue;
    }
    if (m == 0xD9 || i + 3 >= n) break;  // EOI, or no room for a segment length
    if (m == 0xDA) ++scans;
    i += 2 + ((static_cast<size_t>(d[i + 2]) << 8) | d[i + 3]);
  }
  return scans;
}

const char* image_format_name(ImageFormat f) {
  switch (f) {
    case ImageFormat::kJpeg:
      return "JPEG";
    case ImageFormat::kPng:
      return "PNG";
    case ImageFormat::kGif:
      return "GIF";
    case ImageFormat::kWebp:
      return "WebP";
    case ImageFormat::kTiff:
      return "TIFF";
    case ImageFormat::kBmp:
      return "BMP";
    case ImageFormat::kHeif:
      return "HEIF";
    case ImageFormat::kUnknown:
      break;
  }
  return "unknown";
}

Status image_check_pixel_limit(int64_t w, int64_t h, const std::string& name,
                               const DecodeOptions& options) {
  if (w * h <= options.max_pixels) return Status();
  return Status::error(name + ": " + std::to_string(w) + "x" + std::to_string(h) + " = " +
                       std::to_string(w * h) + " pixels exceeds the limit of " +
                       std::to_string(options.max_pixels) + " (a possible decompression bomb)");
}

Status image_timeout_error(const std::string& name, const DecodeOptions& options) {
  return Status::error(name + ": decoding took longer than the limit of " +
                       std::to_string(options.timeout_seconds) + " s");
}

int image_fast_shrink(int64_t w, int64_t h, const DecodeOptions& options) {
  if (options.mode != DecodeMode::kFast) return 1;
  const int64_t short_side = std::min(w, h);
  int shrink = 1;
  while (shrink < 8 && short_side / (shrink * 2) >= 2LL * options.fast_min_side) shrink *= 2;
  return shrink;
}

namespace {

Status init_vips() {
  static std::once_flag once;
  static bool ok = false;
  std::call_once(once, [] {
    if (vips_init("clipsearch") != 0) return;
    vips_block_untrusted_set(TRUE);  // no ImageMagick, PDF, SVG, FITS, ... loaders
    vips_cache_set_max(0);           // every decode is used once: nothing to cache
    vips_concurrency_set(1);         // parallelism comes from decoding many images at once
    ok = true;
  });
  if (!ok) return Status::error("libvips failed to initialise");
  return Status();
}

// The libvips error buffer (global), first line, cleared.
std::string vips_message() {
  char* buf = vips_error_buffer_copy();
  std::string msg = buf ? buf : "";
  g_free(buf);
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  size_t nl = msg.find('\n');
  if (nl != std::string::npos) msg = msg.substr(0, nl);
  return msg.empty() ? "unknown libvips error" : msg;
}

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

// Opens the header only (libvips loaders are lazy); `shrink` is the JPEG/WebP shrink-on-load
// factor (1 = none).
int open_image(ImageFormat f, const uint8_t* data, size_t size, int shrink, VipsImage** out) {
  void* buf = const_cast<uint8_t*>(data);  // libvips reads, never writes, a load buffer
  const VipsFailOn fail = VIPS_FAIL_ON_ERROR;
  switch (f) {
    case ImageFormat::kJpeg:
      return vips_jpegload_buffer(buf, size, out, "fail_on", fail, "shrink", shrink, "access",
                                  VIPS_ACCESS_SEQUENTIAL, nullptr);
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
      return vips_heifload_buffer(buf, size, out, "fail_on", fail, "n", 1, "page", 0, "access",
                                  VIPS_ACCESS_SEQUENTIAL, nullptr);
    case ImageFormat::kBmp:
    case ImageFormat::kUnknown:
      break;
  }
  return -1;
}

bool samples_are_16bit(VipsBandFormat f) { return f == VIPS_FORMAT_USHORT; }

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
  return Status::error(name + ": unsupported image with " + std::to_string(bands) + " bands");
}

}  // namespace

Result<RgbImage> image_decode_memory(const uint8_t* data, size_t size, const std::string& name,
                                     const DecodeOptions& options) {
  CLIPSEARCH_RETURN_IF_ERROR(init_vips());
  if (size == 0) return Status::error(name + ": empty file");
  const ImageFormat format = image_sniff_format(data, size);
  if (format == ImageFormat::kUnknown) {
    return Status::error(name +
                         ": not a supported image (JPEG, PNG, GIF, WebP, TIFF, BMP, HEIF), "
                         "judged by its first bytes");
  }
  if (format == ImageFormat::kBmp) return bmp_decode(data, size, name, options);
  const std::string what = name + ": " + image_format_name(format);
  if (format == ImageFormat::kJpeg) {
    const int scans = image_jpeg_scan_count(data, size);
    if (scans > kMaxJpegScans) {
      return Status::error(what + ": " + std::to_string(scans) + " scans, more than the limit of " +
                           std::to_string(kMaxJpegScans) + " (a possible decoding bomb)");
    }
    return jpeg_decode(data, size, name, options);
  }

  ImageRef img;
  if (open_image(format, data, size, 1, &img.p) != 0) {
    return Status::error(what + " header: " + vips_message());
  }
  const int64_t w = vips_image_get_width(img.p), h = vips_image_get_height(img.p);
  if (w <= 0 || h <= 0) return Status::error(what + ": empty image");
  CLIPSEARCH_RETURN_IF_ERROR(image_check_pixel_limit(w, h, name, options));
  if (format == ImageFormat::kWebp) {
    // Shrink on load by 2, 4 or 8, never below twice the target short side.
    const int shrink = image_fast_shrink(w, h, options);
    if (shrink > 1) {
      ImageRef shrunk;
      if (open_image(format, data, size, shrink, &shrunk.p) != 0) {
        return Status::error(what + " header: " + vips_message());
      }
      std::swap(img.p, shrunk.p);
    }
  }

  const VipsBandFormat band_format = vips_image_get_format(img.p);
  if (band_format != VIPS_FORMAT_UCHAR && band_format != VIPS_FORMAT_USHORT) {
    return Status::error(what + ": unsupported sample format (only 8- and 16-bit integer)");
  }
  CLIPSEARCH_ASSIGN_OR_RETURN(SampleLayout layout, layout_of(img.p, name));
  const int orientation = options.exif == ExifMode::kApply ? vips_image_get_orientation(img.p) : 1;

  Deadline deadline{std::chrono::steady_clock::now() +
                    std::chrono::microseconds(static_cast<int64_t>(options.timeout_seconds * 1e6))};
  vips_image_set_progress(img.p, TRUE);
  g_signal_connect(img.p, "eval", G_CALLBACK(on_eval), &deadline);

  size_t bytes = 0;
  void* pixels = vips_image_write_to_memory(img.p, &bytes);
  if (!pixels) {
    std::string msg = vips_message();
    if (deadline.expired) {
      return image_timeout_error(name, options);
    }
    return Status::error(what + ": " + msg);
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

Result<RgbImage> image_decode_file(const std::string& path, const DecodeOptions& options) {
  CLIPSEARCH_ASSIGN_OR_RETURN(MappedFile file, MappedFile::open(path));
  return image_decode_memory(file.data(), file.size(), path, options);
}

}  // namespace clipsearch
