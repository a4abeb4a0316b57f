#include "image/preprocess.h"

#include <algorithm>
#include <cassert>
#include <cstring>

#include "image/resample.h"

namespace clipsearch {

void image_resized_size(int width, int height, int shortest_edge, int* out_width, int* out_height) {
  // ref: transformers 4.25.1 get_resize_output_image_size(default_to_square=False), also
  // torchvision's _compute_resized_output_size: new_long = int(size * long / short), the
  // division in double precision and truncated.
  const int short_side = std::min(width, height);
  const int long_side = std::max(width, height);
  if (short_side == shortest_edge) {
    *out_width = width;
    *out_height = height;
    return;
  }
  const double long_d = static_cast<double>(static_cast<int64_t>(shortest_edge) * long_side) /
                        static_cast<double>(short_side);
  const int new_long = static_cast<int>(long_d);
  if (width <= height) {
    *out_width = shortest_edge;
    *out_height = new_long;
  } else {
    *out_width = new_long;
    *out_height = shortest_edge;
  }
}

void image_resize_target(const PreprocessConfig& config, int width, int height, int* out_width,
                         int* out_height) {
  assert((config.resize_height > 0) == (config.resize_width > 0));
  if (!config.do_resize) {
    *out_width = width;
    *out_height = height;
  } else if (config.resize_height > 0 && config.resize_width > 0) {
    // ref: transformers 4.25.1 ChineseCLIPImageProcessor.resize(): get_resize_output_image_size
    // with the tuple (height, width) returns it as is; open_clip's "squash": Resize((h, w)).
    *out_width = config.resize_width;
    *out_height = config.resize_height;
  } else {
    image_resized_size(width, height, config.shortest_edge, out_width, out_height);
  }
}

int image_crop_offset(int size, int crop, bool round_half_even) {
  if (crop > size) {
    // ref: both references pad (crop - size) // 2 on the leading side.
    return -((crop - size) / 2);
  }
  const int diff = size - crop;
  if (!round_half_even || diff % 2 == 0) return diff / 2;  // transformers: floor(diff / 2)
  // torchvision: int(round(diff / 2.0)), Python rounds half to even.
  const int lo = diff / 2;
  return lo % 2 == 0 ? lo : lo + 1;
}

RgbImage image_resize_crop(const RgbImage& in, const PreprocessConfig& config) {
  int rw = 0, rh = 0;
  image_resize_target(config, in.width, in.height, &rw, &rh);
  const int cw = config.do_center_crop ? config.crop_width : rw;
  const int ch = config.do_center_crop ? config.crop_height : rh;
  const int ox = config.do_center_crop ? image_crop_offset(rw, cw, config.crop_round_half_even) : 0;
  const int oy = config.do_center_crop ? image_crop_offset(rh, ch, config.crop_round_half_even) : 0;

  // The part of the crop that lies inside the resized image.
  const int x0 = std::max(ox, 0), x1 = std::min(ox + cw, rw);
  const int y0 = std::max(oy, 0), y1 = std::min(oy + ch, rh);
  RgbImage window = image_resize_window(in, rw, rh, x0, y0, x1, y1, config.resample);
  if (x0 == ox && y0 == oy && x1 - x0 == cw && y1 - y0 == ch) return window;

  RgbImage out;  // crop larger than the image: zero border
  out.width = cw;
  out.height = ch;
  out.pixels.assign(static_cast<size_t>(cw) * ch * 3, 0);
  for (int y = y0; y < y1; ++y) {
    std::memcpy(&out.pixels[(static_cast<size_t>(y - oy) * cw + (x0 - ox)) * 3],
                &window.pixels[static_cast<size_t>(y - y0) * window.width * 3],
                static_cast<size_t>(window.width) * 3);
  }
  return out;
}

ImageTensor image_normalize(const RgbImage& img, const PreprocessConfig& config) {
  ImageTensor t;
  t.height = img.height;
  t.width = img.width;
  const size_t plane = static_cast<size_t>(img.width) * img.height;
  t.data.resize(plane * 3);
  // Each channel's 256 possible results, computed with the reference's arithmetic:
  // transformers: x = float32(uint8 * factor) with the product in double (numpy promotes to
  //   float64, then .astype(float32)); torchvision ToTensor: float32(uint8) / 255 in float32.
  // Then (x - float32(mean)) / float32(std) in float32 (numpy float32 arrays, torch tensors).
  float lut[3][256];
  for (int c = 0; c < 3; ++c) {
    for (int v = 0; v < 256; ++v) {
      float x;
      if (!config.do_rescale) {
        x = static_cast<float>(v);
      } else if (config.rescale_in_float32) {
        x = static_cast<float>(v) / static_cast<float>(1.0 / config.rescale_factor);
      } else {
        x = static_cast<float>(static_cast<double>(v) * config.rescale_factor);
      }
      lut[c][v] = config.do_normalize ? (x - config.mean[c]) / config.std[c] : x;
    }
  }
  for (size_t i = 0; i < plane; ++i) {
    for (int c = 0; c < 3; ++c) t.data[c * plane + i] = lut[c][img.pixels[i * 3 + c]];
  }
  return t;
}

}  // namespace clipsearch
