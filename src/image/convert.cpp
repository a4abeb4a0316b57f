#include "image/convert.h"

#include <cassert>
#include <cstring>

namespace clipsearch {
namespace {

int bands_of(SampleLayout l) {
  switch (l) {
    case SampleLayout::kGray:
      return 1;
    case SampleLayout::kGrayAlpha:
      return 2;
    case SampleLayout::kRgb:
      return 3;
    case SampleLayout::kRgba:
    case SampleLayout::kCmyk:
      return 4;
    case SampleLayout::kCmykAlpha:
      return 5;
  }
  return 3;
}

// ref: Pillow Convert.c MULDIV255 and cmyk2rgb().
inline uint8_t muldiv255(int a, int b) {
  int tmp = a * b + 128;
  return static_cast<uint8_t>(((tmp >> 8) + tmp) >> 8);
}
inline uint8_t clip8(int v) { return static_cast<uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v)); }

// out = (c * a + bg * (255 - a)) / 255, rounded.
inline uint8_t blend(int c, int a, int bg) {
  return static_cast<uint8_t>((c * a + bg * (255 - a) + 127) / 255);
}

}  // namespace

void image_cmyk_row_to_rgb(const uint8_t* cmyk, size_t n, bool inverted, uint8_t* rgb) {
  const int flip = inverted ? 255 : 0;  // v ^ 255 == 255 - v
  for (size_t p = 0; p < n; ++p, cmyk += 4, rgb += 3) {
    const int nk = 255 - (cmyk[3] ^ flip);
    rgb[0] = clip8(nk - muldiv255(cmyk[0] ^ flip, nk));
    rgb[1] = clip8(nk - muldiv255(cmyk[1] ^ flip, nk));
    rgb[2] = clip8(nk - muldiv255(cmyk[2] ^ flip, nk));
  }
}

RgbImage image_samples_to_rgb(const DecodedSamples& in, const DecodeOptions& options) {
  const int bands = bands_of(in.layout);
  const size_t n = static_cast<size_t>(in.width) * in.height;
  RgbImage out;
  out.width = in.width;
  out.height = in.height;
  out.pixels.resize(n * 3);
  if (!in.sixteen_bit && in.layout == SampleLayout::kRgb) {  // the common case: a copy
    std::memcpy(out.pixels.data(), in.data, n * 3);
    return out;
  }
  if (!in.sixteen_bit && in.layout == SampleLayout::kGray) {
    const uint8_t* g = static_cast<const uint8_t*>(in.data);
    for (size_t p = 0; p < n; ++p)
      out.pixels[p * 3] = out.pixels[p * 3 + 1] = out.pixels[p * 3 + 2] = g[p];
    return out;
  }
  const bool clip_gray16 = options.sixteen_bit == SixteenBit::kClip;
  const bool gray = in.layout == SampleLayout::kGray || in.layout == SampleLayout::kGrayAlpha;
  // Sample i of pixel p as 8 bits.
  auto sample = [&](size_t p, int i) -> int {
    if (!in.sixteen_bit) return static_cast<const uint8_t*>(in.data)[p * bands + i];
    int v = static_cast<const uint16_t*>(in.data)[p * bands + i];
    // Pillow opens 16-bit gray as mode "I" and clips it; colour (and alpha) keep the high byte.
    if (gray && i == 0 && clip_gray16) return v > 255 ? 255 : v;
    return v >> 8;
  };
  const bool composite = options.alpha == AlphaMode::kComposite;
  const uint8_t* bg = options.background;
  for (size_t p = 0; p < n; ++p) {
    uint8_t* o = &out.pixels[p * 3];
    int r = 0, g = 0, b = 0, a = 255;
    switch (in.layout) {
      case SampleLayout::kGray:
      case SampleLayout::kGrayAlpha:
        r = g = b = sample(p, 0);
        if (in.layout == SampleLayout::kGrayAlpha) a = sample(p, 1);
        break;
      case SampleLayout::kRgb:
      case SampleLayout::kRgba:
        r = sample(p, 0);
        g = sample(p, 1);
        b = sample(p, 2);
        if (in.layout == SampleLayout::kRgba) a = sample(p, 3);
        break;
      case SampleLayout::kCmyk:
      case SampleLayout::kCmykAlpha: {
        const int nk = 255 - sample(p, 3);
        r = clip8(nk - muldiv255(sample(p, 0), nk));
        g = clip8(nk - muldiv255(sample(p, 1), nk));
        b = clip8(nk - muldiv255(sample(p, 2), nk));
        if (in.layout == SampleLayout::kCmykAlpha) a = sample(p, 4);
        break;
      }
    }
    if (composite && a != 255) {
      r = blend(r, a, bg[0]);
      g = blend(g, a, bg[1]);
      b = blend(b, a, bg[2]);
    }
    o[0] = static_cast<uint8_t>(r);
    o[1] = static_cast<uint8_t>(g);
    o[2] = static_cast<uint8_t>(b);
  }
  return out;
}

}  // namespace clipsearch
