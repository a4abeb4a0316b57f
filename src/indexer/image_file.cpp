#include "clipsearch/image_file.h"

#include <algorithm>
#include <cctype>

#include "image/color_signature.h"
#include "image/decode.h"
#include "indexer/image_file_steps.h"
#include "indexer/indexer.h"

namespace clipsearch {

Status image_file_read_facts(const uint8_t* data, size_t size, const std::string& path,
                             int64_t mtime_ns, const DecodeOptions& options,
                             ImageFileFacts* facts) {
  Result<ImageHeader> header = image_read_header(data, size, path);
  if (!header.ok()) return header.status();
  facts->format = header->format_name;
  std::transform(facts->format.begin(), facts->format.end(), facts->format.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const bool swap =
      options.exif == ExifMode::kApply && header->orientation >= 5 && header->orientation <= 8;
  facts->width = swap ? header->height : header->width;
  facts->height = swap ? header->width : header->height;
  facts->camera = header->camera;
  facts->taken_from_exif = exif_date_to_ns(header->date_original, &facts->taken_ns);
  if (!facts->taken_from_exif) facts->taken_ns = mtime_to_local_ns(mtime_ns);
  return Status();
}

std::string image_file_too_large(int64_t size, int64_t max_file_bytes) {
  return "a file of " + std::to_string(size) + " bytes is larger than the limit of " +
         std::to_string(max_file_bytes);
}

std::vector<float> image_file_color(const RgbImage& rgb) {
  const auto packed = color_signature(rgb).pack();
  return std::vector<float>(packed.begin(), packed.end());
}

Result<DecodedImageFile> image_file_decode(const uint8_t* data, size_t size,
                                           const std::string& path, const PreprocessConfig& config,
                                           const DecodeOptions& options) {
  Result<RgbImage> rgb = image_decode_for_preprocess(data, size, path, config, options);
  if (!rgb.ok()) return rgb.status();
  DecodedImageFile decoded;
  decoded.color = image_file_color(*rgb);
  decoded.pixels = image_preprocess_rgb(*rgb, config);
  return decoded;
}

PreparedImageFile image_file_prepare(const uint8_t* data, size_t size, const std::string& path,
                                     int64_t mtime_ns, const PreprocessConfig& config,
                                     const DecodeOptions& options, int64_t max_file_bytes) {
  PreparedImageFile p;
  // The indexer sniffs the first 64 bytes before anything else.
  if (image_sniff_format(data, std::min<size_t>(size, 64)) == ImageFormat::kUnknown) {
    p.outcome = ImageFileOutcome::kNotImage;
    return p;
  }
  if (static_cast<int64_t>(size) > max_file_bytes) {
    p.error = image_file_too_large(static_cast<int64_t>(size), max_file_bytes);
    return p;
  }
  Status facts = image_file_read_facts(data, size, path, mtime_ns, options, &p.facts);
  if (!facts.ok()) {
    p.error = facts.message();
    return p;
  }
  Result<DecodedImageFile> decoded = image_file_decode(data, size, path, config, options);
  if (!decoded.ok()) {
    p.error = decoded.status().message();
    return p;
  }
  p.outcome = ImageFileOutcome::kImage;
  p.color = std::move(decoded->color);
  p.pixels = std::move(decoded->pixels);
  return p;
}

}  // namespace clipsearch
