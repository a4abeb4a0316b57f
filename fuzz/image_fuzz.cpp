// libFuzzer target: arbitrary bytes through decode + preprocess. The first byte picks the
// options (exact or fast decode, EXIF, 16-bit mode, alpha, RAW mode, resize mode); the rest is the
// file. Any crash, sanitizer report, or leak of control (hang beyond libFuzzer's -timeout) is a
// bug.
#include <cstddef>
#include <cstdint>

#include "clipsearch/image.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t sel = data[0];
  clipsearch::DecodeOptions opt;
  opt.mode = (sel & 1) ? clipsearch::DecodeMode::kFast : clipsearch::DecodeMode::kExact;
  opt.exif = (sel & 2) ? clipsearch::ExifMode::kIgnore : clipsearch::ExifMode::kApply;
  opt.sixteen_bit = (sel & 4) ? clipsearch::SixteenBit::kClip : clipsearch::SixteenBit::kScale;
  opt.alpha = (sel & 8) ? clipsearch::AlphaMode::kComposite : clipsearch::AlphaMode::kDrop;
  // Camera RAW: develop with the smaller shortest edge (bit 4 picks both), the preview otherwise.
  opt.raw = (sel & 16) ? clipsearch::RawMode::kDevelop : clipsearch::RawMode::kPreview;
  opt.max_pixels = 4 << 20;  // keep each run fast; the limit itself is what is being tested
  opt.timeout_seconds = 2.0;
  clipsearch::PreprocessConfig cfg;
  cfg.shortest_edge = (sel & 16) ? 17 : 32;
  if (sel & 128) {  // an exact resize (Chinese-CLIP, SigLIP), non-square
    cfg.resize_height = 20;
    cfg.resize_width = 12;
  }
  cfg.crop_height = 16;
  cfg.crop_width = (sel & 32) ? 40 : 16;  // wider than the resized image sometimes: padding
  cfg.resample =
      (sel & 64) ? clipsearch::ResampleFilter::kBilinear : clipsearch::ResampleFilter::kBicubic;
  auto t = clipsearch::image_preprocess_memory(data + 1, size - 1, "fuzz", cfg, opt);
  (void)t;
  return 0;
}
