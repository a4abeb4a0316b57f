// Format sniffing and the decoder for each format (docs/IMAGE_PIPELINE.md):
// - formats allow-listed by magic bytes, never by file name;
// - JPEG: libjpeg-turbo directly (jpeg.cpp); BMP: bmp.cpp; TIFF: tiff.cpp (libvips, with the
//   modes where libvips is not Pillow handled apart); everything else: each format's own libvips
//   loader (vips_load.cpp);
// - the checks every decoder shares: the pixel limit on the header, before any pixel is decoded;
//   the wall-clock limit's message; fast mode's shrink-on-load factor.
#include "image/decode.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "clipsearch/image.h"
#include "core/mapped_file.h"
#include "image/bmp.h"
#include "image/bmp_info.h"
#include "image/jpeg.h"
#include "image/raw.h"
#include "image/tiff.h"
#include "image/vips_load.h"

namespace clipsearch {

namespace {

bool brand_in(const uint8_t* brand, const char* const* list, size_t count) {
  for (size_t i = 0; i < count; ++i) {
    if (std::memcmp(brand, list[i], 4) == 0) return true;
  }
  return false;
}

// An ISO base media file's ftyp box (`size`, "ftyp", major brand, minor version, compatible
// brands): HEIF/AVIF brands only, as pillow-heif's openers accept them. The major brand decides;
// the generic "mif1"/"msf1" is AVIF where a compatible brand says so (AV1 pictures), else HEIF.
ImageFormat heif_brand_format(const uint8_t* d, size_t n) {
  static const char* const kAvif[] = {"avif", "avis"};
  static const char* const kHeif[] = {"heic", "heix", "hevc", "hevx", "heim", "heis"};
  static const char* const kGeneric[] = {"mif1", "msf1"};
  const uint8_t* major = d + 8;
  if (brand_in(major, kAvif, 2)) return ImageFormat::kAvif;
  if (brand_in(major, kHeif, 6)) return ImageFormat::kHeif;
  if (!brand_in(major, kGeneric, 2)) return ImageFormat::kUnknown;
  const size_t box = (size_t{d[0]} << 24) | (size_t{d[1]} << 16) | (size_t{d[2]} << 8) | d[3];
  for (size_t at = 16; at + 4 <= std::min(box, n); at += 4) {
    if (brand_in(d + at, kAvif, 2)) return ImageFormat::kAvif;
  }
  return ImageFormat::kHeif;
}

}  // namespace

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
  if (raw_magic(d, n)) return ImageFormat::kRaw;  // RAF, CR3, ORF, RW2, MRW; TIFF-based: below
  if (starts("ftyp", 4, 4) && n >= 12) return heif_brand_format(d, n);
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
    case ImageFormat::kAvif:
      return "AVIF";
    case ImageFormat::kRaw:
      return "RAW";
    case ImageFormat::kUnknown:
      break;
  }
  return "unknown";
}

Status image_check_pixel_limit(int64_t w, int64_t h, const std::string& name,
                               const DecodeOptions& options) {
  // Divided, not multiplied: a header may claim 2^32 x 2^32, whose product overflows.
  if (w <= 0 || h <= 0 || w <= options.max_pixels / h) return Status();
  const bool fits = w <= INT64_MAX / h;
  return Status::invalid_argument(
      name + ": " + std::to_string(w) + "x" + std::to_string(h) +
      (fits ? " = " + std::to_string(w * h) : std::string()) + " pixels exceeds the limit of " +
      std::to_string(options.max_pixels) + " (a possible decompression bomb)");
}

Status image_timeout_error(const std::string& name, const DecodeOptions& options) {
  return Status::invalid_argument(name + ": decoding took longer than the limit of " +
                                  std::to_string(options.timeout_seconds) + " s");
}

int image_fast_shrink(int64_t w, int64_t h, const DecodeOptions& options) {
  if (options.mode != DecodeMode::kFast) return 1;
  const int64_t short_side = std::min(w, h);
  int shrink = 1;
  while (shrink < 8 && short_side / (shrink * 2) >= 2LL * options.fast_min_side) shrink *= 2;
  return shrink;
}

Result<RgbImage> image_decode_memory(const uint8_t* data, size_t size, const std::string& name,
                                     const DecodeOptions& options) {
  if (size == 0) return Status::corruption(name + ": empty file");
  const ImageFormat format = image_sniff_format(data, size);
  if (format == ImageFormat::kUnknown) {
    return Status::unsupported(name +
                               ": not a supported image (JPEG, PNG, GIF, WebP, TIFF, BMP, HEIF, "
                               "AVIF, RAW), judged by its first bytes");
  }
  if (format == ImageFormat::kBmp) return bmp_decode(data, size, name, options);
  const std::string what = name + ": " + image_format_name(format);
  if (format == ImageFormat::kJpeg) {
    const int scans = image_jpeg_scan_count(data, size);
    if (scans > kMaxJpegScans) {
      return Status::invalid_argument(
          what + ": " + std::to_string(scans) + " scans, more than the limit of " +
          std::to_string(kMaxJpegScans) + " (a possible decoding bomb)");
    }
    return jpeg_decode(data, size, name, options);
  }

  // A RAW that starts as a TIFF (DNG, CR2, NEF, ...) is told apart by its first IFD (raw.h).
  if (format == ImageFormat::kRaw ||
      (format == ImageFormat::kTiff && raw_is_raw_tiff(data, size))) {
    return raw_decode(data, size, name, options);
  }
  if (format == ImageFormat::kTiff) return tiff_decode(data, size, name, options);
  return vips_decode(format, data, size, name, options);  // PNG, GIF, WebP, HEIF, AVIF
}

Result<RgbImage> image_decode_file(const std::string& path, const DecodeOptions& options) {
  CLIPSEARCH_ASSIGN_OR_RETURN(MappedFile file, MappedFile::open(path));
  return image_decode_memory(file.data(), file.size(), path, options);
}

namespace {

std::string trimmed(const std::string& s) {
  const size_t begin = s.find_first_not_of(" \t");
  if (begin == std::string::npos) return "";
  return s.substr(begin, s.find_last_not_of(" \t") - begin + 1);
}

bool starts_with_word_ignoring_case(const std::string& text, const std::string& word) {
  if (word.empty() || text.size() < word.size()) return false;
  for (size_t i = 0; i < word.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) !=
        std::tolower(static_cast<unsigned char>(word[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string camera_name(const std::string& make, const std::string& model) {
  const std::string m = trimmed(make), n = trimmed(model);
  if (m.empty() || n.empty()) return m.empty() ? n : m;
  const std::string maker = m.substr(0, m.find(' '));  // "NIKON" of "NIKON CORPORATION"
  return starts_with_word_ignoring_case(n, maker) ? n : m + " " + n;
}

Result<ImageHeader> image_read_header(const uint8_t* data, size_t size, const std::string& name) {
  ImageHeader h;
  h.format = image_sniff_format(data, size);
  if (h.format == ImageFormat::kUnknown) {
    return Status::unsupported(name + ": not a supported image, judged by its first bytes");
  }
  if (h.format == ImageFormat::kTiff && raw_is_raw_tiff(data, size)) h.format = ImageFormat::kRaw;
  h.format_name = image_format_name(h.format);
  if (h.format == ImageFormat::kRaw) {
    h.format_name = raw_format_name(data, size);
    CLIPSEARCH_RETURN_IF_ERROR(raw_read_header(data, size, name, &h));
    return h;
  }
  if (h.format == ImageFormat::kBmp) {
    CLIPSEARCH_ASSIGN_OR_RETURN(BmpInfo info, bmp_read_info(data, size, name));
    h.width = static_cast<int>(std::min<int64_t>(info.width, INT32_MAX));
    h.height = static_cast<int>(std::min<int64_t>(info.height, INT32_MAX));
    return h;
  }
  if (h.format == ImageFormat::kTiff) {
    CLIPSEARCH_RETURN_IF_ERROR(tiff_read_header(data, size, name, &h));
    return h;
  }
  CLIPSEARCH_RETURN_IF_ERROR(vips_read_header(data, size, name, &h));
  return h;
}

}  // namespace clipsearch
