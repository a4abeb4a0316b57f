#include "tensor/interpolate.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace clipsearch {
namespace {

// ref: ATen HelperInterpCubic::aa_filter (a = -0.5, as Pillow's bicubic).
float cubic(float x) {
  constexpr float a = -0.5f;
  x = std::fabs(x);
  if (x < 1.0f) return ((a + 2.0f) * x - (a + 3.0f)) * x * x + 1.0f;
  if (x < 2.0f) return ((a * x - 5.0f * a) * x + 8.0f * a) * x - 4.0f * a;
  return 0.0f;
}

// The taps of one output index: the first input index and the normalized weights.
struct Taps {
  int64_t first = 0;
  std::vector<float> weights;
};

// ref: ATen _compute_indices_min_size_weights_aa.
std::vector<Taps> taps(int64_t in, int64_t out) {
  const float scale = static_cast<float>(in) / static_cast<float>(out);
  const float support = scale >= 1.0f ? 2.0f * scale : 2.0f;
  const float invscale = scale >= 1.0f ? 1.0f / scale : 1.0f;
  std::vector<Taps> all(static_cast<size_t>(out));
  for (int64_t i = 0; i < out; ++i) {
    const float center = scale * (static_cast<float>(i) + 0.5f);
    Taps& t = all[static_cast<size_t>(i)];
    t.first = std::max<int64_t>(static_cast<int64_t>(center - support + 0.5f), 0);
    const int64_t size =
        std::min<int64_t>(static_cast<int64_t>(center + support + 0.5f), in) - t.first;
    float total = 0.0f;
    for (int64_t j = 0; j < size; ++j) {
      const float w = cubic((static_cast<float>(j + t.first) - center + 0.5f) * invscale);
      t.weights.push_back(w);
      total += w;
    }
    if (total != 0.0f) {
      for (float& w : t.weights) w /= total;
    }
  }
  return all;
}

}  // namespace

void resize_bicubic_antialias(const float* src, int64_t height, int64_t width, int64_t channels,
                              int64_t out_height, int64_t out_width, float* dst) {
  const std::vector<Taps> across = taps(width, out_width), down = taps(height, out_height);
  std::vector<float> rows(static_cast<size_t>(height * out_width * channels), 0.0f);
  for (int64_t y = 0; y < height; ++y) {  // the width pass
    for (int64_t x = 0; x < out_width; ++x) {
      const Taps& t = across[static_cast<size_t>(x)];
      float* out = rows.data() + (y * out_width + x) * channels;
      for (size_t j = 0; j < t.weights.size(); ++j) {
        const float* in = src + (y * width + t.first + static_cast<int64_t>(j)) * channels;
        for (int64_t c = 0; c < channels; ++c) out[c] += t.weights[j] * in[c];
      }
    }
  }
  for (int64_t y = 0; y < out_height; ++y) {  // the height pass
    const Taps& t = down[static_cast<size_t>(y)];
    for (int64_t x = 0; x < out_width; ++x) {
      float* out = dst + (y * out_width + x) * channels;
      std::fill(out, out + channels, 0.0f);
      for (size_t j = 0; j < t.weights.size(); ++j) {
        const float* in =
            rows.data() + ((t.first + static_cast<int64_t>(j)) * out_width + x) * channels;
        for (int64_t c = 0; c < channels; ++c) out[c] += t.weights[j] * in[c];
      }
    }
  }
}

}  // namespace clipsearch
