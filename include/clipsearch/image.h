// The image pipeline: decode an image file (or a buffer in memory) to 8-bit RGB and turn it into
// the float32 [3, H, W] tensor a CLIP image tower sees, exactly as the reference does
// (transformers' CLIPImageProcessor, or open_clip's torchvision transform, on Pillow).
//
// Decoding is restricted to an allow-list of formats recognised by their magic bytes: JPEG with
// libjpeg-turbo (the library Pillow uses, same samples), BMP with the project's own reader, PNG,
// WebP, GIF, TIFF and HEIF/AVIF (where libvips has the loader) with libvips, camera RAWs with
// LibRaw (the embedded preview through the JPEG decoder, or a demosaic); with a pixel limit
// checked from the header before any pixel is decoded, a wall-clock limit per image, and only
// the first frame of animations. Resampling is the project's own reimplementation of Pillow's
// (separable, fixed point), so the resized uint8 pixels are identical to Pillow's.
//
// Deliberate departures from the reference, each switchable back (see docs/IMAGE_PIPELINE.md):
// EXIF orientation is applied (ExifMode::kIgnore for parity); 16-bit images are scaled to 8 bits
// (SixteenBit::kClip reproduces Pillow's clipping of 16-bit grayscale).
//
// Every function returns a Status naming the file and the problem for anything a file can
// cause. All functions are thread-safe. libvips is initialised once per process, with untrusted
// loaders blocked, by the first call that needs it (calls from other threads wait for it);
// nothing in the library reaches libvips before that.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "clipsearch/export.h"
#include "clipsearch/status.h"

namespace clipsearch {

// An 8-bit RGB image, rows top to bottom, pixels interleaved: pixels[(y * width + x) * 3 + c].
struct RgbImage {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> pixels;  // [height, width, 3]
};

enum class ExifMode { kApply, kIgnore };
enum class DecodeMode {
  kExact,  // full-size decode: the pixels the reference sees
  kFast,   // JPEG/WebP shrink-on-load to no less than twice the target size, then exact resize
};
enum class SixteenBit {
  kScale,  // 16-bit samples become their high byte (v >> 8), for every mode
  kClip,   // reference: 16-bit grayscale clipped to 255 (Pillow's "I" -> "RGB")
};
// Camera RAW files (docs/IMAGE_PIPELINE.md, "Camera RAW").
enum class RawMode {
  kPreview,  // the embedded JPEG preview where it is at least half the sensor's size, else develop
  kDevelop,  // always LibRaw's demosaic (camera white balance, sRGB, 8 bits)
};
enum class AlphaMode {
  kDrop,       // reference: alpha is dropped, transparent areas keep their stored colour
  kComposite,  // alpha-composited onto `background`
};

// Pillow's decompression-bomb limit: 1024 * 1024 * 1024 // 4 // 3 pixels.
constexpr int64_t kDefaultMaxPixels = 89478485;

struct DecodeOptions {
  ExifMode exif = ExifMode::kApply;
  DecodeMode mode = DecodeMode::kExact;
  SixteenBit sixteen_bit = SixteenBit::kScale;
  AlphaMode alpha = AlphaMode::kDrop;
  RawMode raw = RawMode::kPreview;
  uint8_t background[3] = {255, 255, 255};  // for AlphaMode::kComposite
  int64_t max_pixels = kDefaultMaxPixels;   // width * height, checked before decoding
  double timeout_seconds = 10.0;            // wall-clock limit for decoding one image
  // DecodeMode::kFast: the shortest side is never shrunk below 2 * fast_min_side.
  int fast_min_side = 224;
};

// Decodes to 8-bit RGB the way Pillow's Image.open(...).convert("RGB") does: palette expanded,
// gray replicated, alpha dropped (or composited), CMYK converted with Pillow's formula.
CLIPSEARCH_EXPORT Result<RgbImage> image_decode_file(const std::string& path,
                                                     const DecodeOptions& options = {});
// `name` is used in error messages in place of a file name.
CLIPSEARCH_EXPORT Result<RgbImage> image_decode_memory(const uint8_t* data, size_t size,
                                                       const std::string& name,
                                                       const DecodeOptions& options = {});

// Pillow's convolution filters (Image.Resampling values 4, 2, 5, 3, 1). NEAREST (0) is not
// supported: Pillow implements it with a different, affine-transform code path.
enum class ResampleFilter { kBox, kBilinear, kHamming, kBicubic, kLanczos };

// How the reference turns a model folder into preprocessing steps.
struct PreprocessConfig {
  bool do_resize = true;
  // Two resize modes. resize_height == resize_width == 0 (CLIP, open_clip's "shortest"): the
  // short side becomes `shortest_edge`, the aspect ratio kept. Both positive (Chinese-CLIP's
  // size {"height", "width"}, open_clip's "squash" as SigLIP uses it): the whole image is resized
  // to exactly resize_width x resize_height, the aspect ratio not kept. One set alone is invalid.
  int shortest_edge = 224;  // the short side after resizing
  int resize_height = 0;
  int resize_width = 0;
  ResampleFilter resample = ResampleFilter::kBicubic;
  bool do_center_crop = true;
  int crop_height = 224;
  int crop_width = 224;
  // Top-left of the crop: floor((dim - crop) / 2) in transformers; Python's round((dim - crop)
  // / 2), half to even, in torchvision (open_clip).
  bool crop_round_half_even = false;
  bool do_rescale = true;
  double rescale_factor = 1.0 / 255.0;
  // transformers: float32(uint8 * rescale_factor computed in double); torchvision ToTensor:
  // float32(uint8) / 255 in float32. Both then (x - mean) / std in float32.
  bool rescale_in_float32 = false;
  bool do_normalize = true;
  float mean[3] = {0.48145466f, 0.4578275f, 0.40821073f};
  float std[3] = {0.26862954f, 0.26130258f, 0.27577711f};
};

// Reads `model_dir`/preprocessor_config.json (transformers) or, failing that,
// `model_dir`/open_clip_config.json (open_clip's model_cfg.vision_cfg.image_size and
// preprocess_cfg). A folder with neither is an error naming the folder.
CLIPSEARCH_EXPORT Result<PreprocessConfig> preprocess_config_load(const std::string& model_dir);
// Parses the text of a preprocessor_config.json; `name` is used in error messages.
CLIPSEARCH_EXPORT Result<PreprocessConfig> preprocess_config_parse_hf(const std::string& json_text,
                                                                      const std::string& name);
CLIPSEARCH_EXPORT Result<PreprocessConfig> preprocess_config_parse_open_clip(
    const std::string& json_text, const std::string& name);

// Pillow's Image.resize(size, filter) on an RGB image: identical uint8 output.
CLIPSEARCH_EXPORT RgbImage image_resize(const RgbImage& in, int width, int height,
                                        ResampleFilter filter);

// (width, height) after the reference's shortest-edge resize: short side = shortest_edge,
// long side = int(shortest_edge * long / short).
CLIPSEARCH_EXPORT void image_resized_size(int width, int height, int shortest_edge, int* out_width,
                                          int* out_height);

// (width, height) of a width x height image after `config`'s resize step: the exact size, the
// shortest-edge size (image_resized_size), or unchanged without do_resize.
CLIPSEARCH_EXPORT void image_resize_target(const PreprocessConfig& config, int width, int height,
                                           int* out_width, int* out_height);

// Resize and centre crop: the uint8 image the reference normalizes. Only the cropped part of
// the resized image is computed; the pixels are those of the full resize followed by the crop.
// Where the crop is larger than the image, the border is zero, as in the reference.
CLIPSEARCH_EXPORT RgbImage image_resize_crop(const RgbImage& in, const PreprocessConfig& config);

// A float32 [3, height, width] tensor (CHW), what the model's pixel_values holds per image.
struct ImageTensor {
  int height = 0;
  int width = 0;
  std::vector<float> data;  // [3, height, width]
};

// Rescale and normalize a resized, cropped image into a CHW tensor.
CLIPSEARCH_EXPORT ImageTensor image_normalize(const RgbImage& cropped,
                                              const PreprocessConfig& config);

// `options` as image_preprocess_* decode with for `config`: fast_min_side set so that
// DecodeMode::kFast keeps each side of the image at least twice what the resize makes of it (the
// shortest edge, or the larger side of an exact resize, whichever way the image is oriented), and
// DecodeMode::kExact where `config` does not resize (a shrunk decode would change what the crop
// shows).
CLIPSEARCH_EXPORT DecodeOptions image_decode_options_for(const PreprocessConfig& config,
                                                         DecodeOptions options);

// Decode + orient + resize + crop + normalize, decoding with image_decode_options_for(config,
// options).
CLIPSEARCH_EXPORT Result<ImageTensor> image_preprocess_file(const std::string& path,
                                                            const PreprocessConfig& config,
                                                            const DecodeOptions& options = {});
CLIPSEARCH_EXPORT Result<ImageTensor> image_preprocess_memory(const uint8_t* data, size_t size,
                                                              const std::string& name,
                                                              const PreprocessConfig& config,
                                                              const DecodeOptions& options = {});

// The two halves of image_preprocess_memory, for callers that also use the decoded pixels (the
// indexer computes a colour signature from them): decoding as image_preprocess_memory decodes
// (DecodeMode::kFast shrinks for `config`'s size), then resize + crop + normalize.
CLIPSEARCH_EXPORT Result<RgbImage> image_decode_for_preprocess(const uint8_t* data, size_t size,
                                                               const std::string& name,
                                                               const PreprocessConfig& config,
                                                               const DecodeOptions& options = {});
CLIPSEARCH_EXPORT ImageTensor image_preprocess_rgb(const RgbImage& rgb,
                                                   const PreprocessConfig& config);

// Preprocesses many files on the process-wide thread pool into one [N, 3, H, W] buffer
// (`out`, resized to N * 3 * H * W). Returns the first failure, naming its file; `statuses`,
// when given, receives one Status per file so a caller can skip bad files instead.
CLIPSEARCH_EXPORT Status image_preprocess_batch(const std::vector<std::string>& paths,
                                                const PreprocessConfig& config,
                                                const DecodeOptions& options,
                                                std::vector<float>* out,
                                                std::vector<Status>* statuses = nullptr);

}  // namespace clipsearch
