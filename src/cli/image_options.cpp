#include "cli/image_options.h"

#include <sstream>

namespace clipsearch::cli {

void add_image_options(CLI::App* cmd, ImageCliOptions* o) {
  cmd->add_option("--exif", o->exif,
                  "EXIF orientation: apply (default) or ignore (as the reference does)")
      ->check(CLI::IsMember({"apply", "ignore"}));
  cmd->add_option("--decode", o->decode,
                  "exact (default), or fast: JPEG/WebP shrink-on-load to at least twice the "
                  "model's input size before the exact resize")
      ->check(CLI::IsMember({"exact", "fast"}));
  cmd->add_option("--sixteen-bit", o->sixteen_bit,
                  "16-bit images: scale (default, high byte) or clip (the reference, for gray)")
      ->check(CLI::IsMember({"scale", "clip"}));
  cmd->add_option("--alpha", o->alpha,
                  "transparency: drop (default, as the reference) or composite on --background")
      ->check(CLI::IsMember({"drop", "composite"}));
  cmd->add_option("--background", o->background, "R,G,B for --alpha composite (255,255,255)");
  cmd->add_option("--raw-mode", o->raw,
                  "camera RAW: preview (default: the embedded JPEG when at least half the "
                  "sensor's size, else develop) or develop (LibRaw's demosaic, slower)")
      ->check(CLI::IsMember({"preview", "develop"}));
  cmd->add_option("--max-pixels", o->max_pixels,
                  "refuse images with more pixels than this (default 89478485, as Pillow)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--decode-timeout", o->timeout_seconds,
                  "seconds allowed to decode one image (default 10)")
      ->check(CLI::PositiveNumber);
}

Result<DecodeOptions> image_decode_options(const ImageCliOptions& o) {
  DecodeOptions d;
  d.exif = o.exif == "ignore" ? ExifMode::kIgnore : ExifMode::kApply;
  d.mode = o.decode == "fast" ? DecodeMode::kFast : DecodeMode::kExact;
  d.sixteen_bit = o.sixteen_bit == "clip" ? SixteenBit::kClip : SixteenBit::kScale;
  d.alpha = o.alpha == "composite" ? AlphaMode::kComposite : AlphaMode::kDrop;
  d.raw = o.raw == "develop" ? RawMode::kDevelop : RawMode::kPreview;
  d.max_pixels = o.max_pixels;
  d.timeout_seconds = o.timeout_seconds;
  std::stringstream ss(o.background);
  std::string item;
  int i = 0;
  while (std::getline(ss, item, ',')) {
    char* end = nullptr;
    long v = std::strtol(item.c_str(), &end, 10);
    if (i >= 3 || end == item.c_str() || *end != '\0' || v < 0 || v > 255) {
      return Status::error("--background must be R,G,B with values 0-255, got '" + o.background +
                           "'");
    }
    d.background[i++] = static_cast<uint8_t>(v);
  }
  if (i != 3) {
    return Status::error("--background must be R,G,B with values 0-255, got '" + o.background +
                         "'");
  }
  return d;
}

}  // namespace clipsearch::cli
