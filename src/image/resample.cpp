#include "image/resample.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdint>
#include <cstring>

#include <immintrin.h>

#include "core/isa.h"
#include "core/simd_target.h"

namespace clipsearch {
namespace {

// ref: Pillow Resample.c, the filter functions and their supports. The arithmetic is kept in
// the same order and precision (double, float constants where Pillow has them) so that every
// coefficient is bit-identical; this file is built with -ffp-contract=off.
double box_filter(double x) { return (x > -0.5 && x <= 0.5) ? 1.0 : 0.0; }

double bilinear_filter(double x) {
  if (x < 0.0) x = -x;
  return x < 1.0 ? 1.0 - x : 0.0;
}

double hamming_filter(double x) {
  if (x < 0.0) x = -x;
  if (x == 0.0) return 1.0;
  if (x >= 1.0) return 0.0;
  x = x * M_PI;
  return std::sin(x) / x * (0.54f + 0.46f * std::cos(x));
}

double bicubic_filter(double x) {
  // Keys' cubic convolution with a = -0.5.
  const double a = -0.5;
  if (x < 0.0) x = -x;
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

double sinc_filter(double x) {
  if (x == 0.0) return 1.0;
  x = x * M_PI;
  return std::sin(x) / x;
}

double lanczos_filter(double x) {
  if (-3.0 <= x && x < 3.0) return sinc_filter(x) * sinc_filter(x / 3);
  return 0.0;
}

struct Filter {
  double (*fn)(double);
  double support;
};

Filter filter_of(ResampleFilter f) {
  switch (f) {
    case ResampleFilter::kBox:
      return {box_filter, 0.5};
    case ResampleFilter::kBilinear:
      return {bilinear_filter, 1.0};
    case ResampleFilter::kHamming:
      return {hamming_filter, 1.0};
    case ResampleFilter::kBicubic:
      return {bicubic_filter, 2.0};
    case ResampleFilter::kLanczos:
      return {lanczos_filter, 3.0};
  }
  assert(false);
  return {bicubic_filter, 2.0};
}

// Fixed point: 8 bits for the result, 2 for overflow (negative lobes, sums above 1).
constexpr int kPrecisionBits = 32 - 8 - 2;

// Coefficients of one pass: output i reads inputs [start[i], start[i] + count[i]) with
// weights k[i * ksize + j].
struct Coeffs {
  int ksize = 0;
  std::vector<int> start;
  std::vector<int> count;
  std::vector<int32_t> k;
};

// ref: Pillow precompute_coeffs() + normalize_coeffs_8bpc(), for box = (0, in_size).
Coeffs precompute_coeffs(int in_size, int out_size, const Filter& filter) {
  // Pillow passes the box edges as float; (in1 - in0) is exact for any image size here.
  const float in0 = 0.0f;
  const float in1 = static_cast<float>(in_size);
  double scale = static_cast<double>(in1 - in0) / out_size;
  double filterscale = scale < 1.0 ? 1.0 : scale;
  double support = filter.support * filterscale;
  Coeffs c;
  c.ksize = static_cast<int>(std::ceil(support)) * 2 + 1;
  c.start.resize(out_size);
  c.count.resize(out_size);
  c.k.assign(static_cast<size_t>(out_size) * c.ksize, 0);
  std::vector<double> w(c.ksize);
  for (int xx = 0; xx < out_size; ++xx) {
    double center = in0 + (xx + 0.5) * scale;
    double ww = 0.0;
    double ss = 1.0 / filterscale;
    int xmin = static_cast<int>(center - support + 0.5);  // truncation, as Pillow's (int)
    if (xmin < 0) xmin = 0;
    int xmax = static_cast<int>(center + support + 0.5);
    if (xmax > in_size) xmax = in_size;
    xmax -= xmin;
    for (int x = 0; x < xmax; ++x) {
      w[x] = filter.fn((x + xmin - center + 0.5) * ss);
      ww += w[x];
    }
    int32_t* k = &c.k[static_cast<size_t>(xx) * c.ksize];
    for (int x = 0; x < xmax; ++x) {
      double v = ww != 0.0 ? w[x] / ww : w[x];
      k[x] = v < 0 ? static_cast<int32_t>(-0.5 + v * (1 << kPrecisionBits))
                   : static_cast<int32_t>(0.5 + v * (1 << kPrecisionBits));
    }
    c.start[xx] = xmin;
    c.count[xx] = xmax;
  }
  return c;
}

// ref: Pillow clip8(): the accumulator shifted right (arithmetic), clamped to [0, 255].
inline uint8_t clip8(int32_t acc) {
  int32_t v = acc >> kPrecisionBits;
  return static_cast<uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v));
}

constexpr int32_t kHalf = 1 << (kPrecisionBits - 1);

// Horizontal pass, portable: rows [row0, row0 + rows) of `in`, output columns [x0, x1).
// ref: Pillow ImagingResampleHorizontal_8bpc().
void horizontal_pixel(const uint8_t* src, const Coeffs& c, int xx, uint8_t* d) {
  const int32_t* k = &c.k[static_cast<size_t>(xx) * c.ksize];
  const uint8_t* s = src + static_cast<size_t>(c.start[xx]) * 3;
  int32_t s0 = kHalf, s1 = kHalf, s2 = kHalf;
  for (int x = 0, n = c.count[xx]; x < n; ++x) {
    s0 += s[x * 3 + 0] * k[x];
    s1 += s[x * 3 + 1] * k[x];
    s2 += s[x * 3 + 2] * k[x];
  }
  d[0] = clip8(s0);
  d[1] = clip8(s1);
  d[2] = clip8(s2);
}

void horizontal_pass_scalar(const RgbImage& in, const Coeffs& c, int row0, int rows, int x0, int x1,
                            uint8_t* out /* [rows, x1 - x0, 3] */) {
  const int out_w = x1 - x0;
  for (int r = 0; r < rows; ++r) {
    const uint8_t* src = &in.pixels[static_cast<size_t>(row0 + r) * in.width * 3];
    uint8_t* dst = out + static_cast<size_t>(r) * out_w * 3;
    for (int xx = x0; xx < x1; ++xx) horizontal_pixel(src, c, xx, dst + (xx - x0) * 3);
  }
}

// Horizontal pass, AVX2. The sums are the same integers as Pillow's (no intermediate rounding,
// no overflow: |sum| < 255 * 1.3 * 2^22 < 2^31), only added in another order, so the result is
// bit-identical. Each 22-bit coefficient is split as k = 256 * hi + lo (hi signed, lo in
// [0, 255]: both fit int16), so pmaddwd can multiply 16-bit samples by 16-bit halves:
// sum(p * k) = 256 * sum(p * hi) + sum(p * lo).
//
// Four taps per step: the 12 bytes of pixels p0..p3 are loaded into both 128-bit lanes and
// shuffled to 16-bit words [r0 r1 g0 g1 b0 b1 0 0 | r2 r3 g2 g3 b2 b3 0 0]; the coefficient
// vectors hold [k0 k1 k0 k1 k0 k1 0 0 | k2 k3 k2 k3 k2 k3 0 0], zero past the last tap. pmaddwd
// then gives [r, g, b, 0] partial sums per lane.
struct alignas(32) Words {
  int16_t w[16];
};

struct SimdCoeffs {
  int groups = 0;                  // 4-tap steps per output pixel (the largest count, rounded up)
  std::vector<Words> hi, lo;       // [out pixel, group]
  std::vector<uint8_t> in_bounds;  // the 16-byte loads of this output pixel stay inside a row
};

SimdCoeffs simd_coeffs(const Coeffs& c, int x0, int x1, int in_width) {
  SimdCoeffs s;
  int max_count = 0;
  for (int xx = x0; xx < x1; ++xx) max_count = std::max(max_count, c.count[xx]);
  s.groups = (max_count + 3) / 4;
  const size_t n = static_cast<size_t>(x1 - x0) * s.groups;
  s.hi.resize(n);
  s.lo.resize(n);
  s.in_bounds.resize(x1 - x0);
  for (int xx = x0; xx < x1; ++xx) {
    const int32_t* k = &c.k[static_cast<size_t>(xx) * c.ksize];
    const int count = c.count[xx];
    const int groups = (count + 3) / 4;
    s.in_bounds[xx - x0] = (c.start[xx] + 4 * (groups - 1)) * 3 + 16 <= in_width * 3;
    for (int g = 0; g < s.groups; ++g) {
      const size_t i = static_cast<size_t>(xx - x0) * s.groups + g;
      int16_t* hi = s.hi[i].w;
      int16_t* lo = s.lo[i].w;
      std::fill(hi, hi + 16, int16_t{0});
      std::fill(lo, lo + 16, int16_t{0});
      for (int j = 0; j < 4; ++j) {
        const int tap = 4 * g + j;
        const int32_t v = tap < count ? k[tap] : 0;
        const int lane = (j / 2) * 8, pos = j % 2;
        const int32_t h = v >> 8;  // arithmetic: v = 256 * h + (v & 255)
        assert(h >= INT16_MIN && h <= INT16_MAX);
        for (int ch = 0; ch < 3; ++ch) {
          hi[lane + 2 * ch + pos] = static_cast<int16_t>(h);
          lo[lane + 2 * ch + pos] = static_cast<int16_t>(v & 255);
        }
      }
    }
  }
  return s;
}

CLIPSEARCH_TARGET_AVX2 void horizontal_pass_avx2(const RgbImage& in, const Coeffs& c, int row0,
                                                 int rows, int x0, int x1,
                                                 uint8_t* out /* [rows, x1 - x0, 3] */) {
  const SimdCoeffs sc = simd_coeffs(c, x0, x1, in.width);
  const int out_w = x1 - x0;
  // Bytes 0..5 (pixels 0, 1) into lane 0, bytes 6..11 (pixels 2, 3) into lane 1, as words.
  const __m256i shuffle =
      _mm256_setr_epi8(0, -1, 3, -1, 1, -1, 4, -1, 2, -1, 5, -1, -1, -1, -1, -1, 6, -1, 9, -1, 7,
                       -1, 10, -1, 8, -1, 11, -1, -1, -1, -1, -1);
  const __m128i half = _mm_set1_epi32(kHalf);
  for (int r = 0; r < rows; ++r) {
    const uint8_t* src = &in.pixels[static_cast<size_t>(row0 + r) * in.width * 3];
    uint8_t* dst = out + static_cast<size_t>(r) * out_w * 3;
    for (int xx = x0; xx < x1; ++xx) {
      uint8_t* d = dst + (xx - x0) * 3;
      if (!sc.in_bounds[xx - x0]) {
        horizontal_pixel(src, c, xx, d);
        continue;
      }
      const uint8_t* s = src + static_cast<size_t>(c.start[xx]) * 3;
      const Words* hi = &sc.hi[static_cast<size_t>(xx - x0) * sc.groups];
      const Words* lo = &sc.lo[static_cast<size_t>(xx - x0) * sc.groups];
      __m256i acc_hi = _mm256_setzero_si256(), acc_lo = _mm256_setzero_si256();
      for (int g = 0, n = (c.count[xx] + 3) / 4; g < n; ++g) {
        const __m256i px = _mm256_shuffle_epi8(_mm256_broadcastsi128_si256(_mm_loadu_si128(
                                                   reinterpret_cast<const __m128i*>(s + 12 * g))),
                                               shuffle);
        const __m256i khi = _mm256_load_si256(reinterpret_cast<const __m256i*>(hi[g].w));
        const __m256i klo = _mm256_load_si256(reinterpret_cast<const __m256i*>(lo[g].w));
        acc_hi = _mm256_add_epi32(acc_hi, _mm256_madd_epi16(px, khi));
        acc_lo = _mm256_add_epi32(acc_lo, _mm256_madd_epi16(px, klo));
      }
      const __m256i acc = _mm256_add_epi32(_mm256_slli_epi32(acc_hi, 8), acc_lo);
      __m128i sum = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
      sum = _mm_srai_epi32(_mm_add_epi32(sum, half), kPrecisionBits);
      sum = _mm_packus_epi16(_mm_packs_epi32(sum, sum), sum);  // clip8: saturate to [0, 255]
      const uint32_t rgb = static_cast<uint32_t>(_mm_cvtsi128_si32(sum));
      d[0] = static_cast<uint8_t>(rgb);
      d[1] = static_cast<uint8_t>(rgb >> 8);
      d[2] = static_cast<uint8_t>(rgb >> 16);
    }
  }
}
void horizontal_pass(const RgbImage& in, const Coeffs& c, int row0, int rows, int x0, int x1,
                     uint8_t* out) {
  if (isa_at_least(isa_active(), Isa::kAvx2)) {
    horizontal_pass_avx2(in, c, row0, rows, x0, x1, out);
  } else {
    horizontal_pass_scalar(in, c, row0, rows, x0, x1, out);
  }
}

// Vertical pass: `in` holds `in_w` pixels per row starting at input row `in_row0`; output rows
// [y0, y1).
void vertical_pass(const uint8_t* in, int in_w, int in_row0, const Coeffs& c, int y0, int y1,
                   uint8_t* out /* [y1 - y0, in_w, 3] */) {
  const size_t stride = static_cast<size_t>(in_w) * 3;
  std::vector<int32_t> acc(stride);  // one accumulator per sample of an output row
  for (int yy = y0; yy < y1; ++yy) {
    const int32_t* k = &c.k[static_cast<size_t>(yy) * c.ksize];
    const uint8_t* base = in + static_cast<size_t>(c.start[yy] - in_row0) * stride;
    std::fill(acc.begin(), acc.end(), kHalf);
    for (int y = 0, n = c.count[yy]; y < n; ++y) {
      const uint8_t* row = base + y * stride;
      const int32_t ky = k[y];
      for (size_t i = 0; i < stride; ++i) acc[i] += row[i] * ky;
    }
    uint8_t* dst = out + static_cast<size_t>(yy - y0) * stride;
    for (size_t i = 0; i < stride; ++i) dst[i] = clip8(acc[i]);
  }
}

}  // namespace

RgbImage image_resize_window(const RgbImage& in, int out_width, int out_height, int x0, int y0,
                             int x1, int y1, ResampleFilter filter_kind, ResampleKernels kernels) {
  assert(in.width > 0 && in.height > 0 && out_width > 0 && out_height > 0);
  assert(0 <= x0 && x0 <= x1 && x1 <= out_width && 0 <= y0 && y0 <= y1 && y1 <= out_height);
  const Filter filter = filter_of(filter_kind);
  RgbImage out;
  out.width = x1 - x0;
  out.height = y1 - y0;
  out.pixels.resize(static_cast<size_t>(out.width) * out.height * 3);
  if (out.width == 0 || out.height == 0) return out;

  // ref: Pillow ImagingResampleInner(): a pass runs only where that dimension changes.
  const bool need_h = out_width != in.width;
  const bool need_v = out_height != in.height;

  Coeffs cv;
  int row0 = y0, rows = y1 - y0;  // input rows the vertical pass reads
  if (need_v) {
    cv = precompute_coeffs(in.height, out_height, filter);
    row0 = cv.start[y0];
    int row1 = row0;
    for (int y = y0; y < y1; ++y) {
      row0 = std::min(row0, cv.start[y]);
      row1 = std::max(row1, cv.start[y] + cv.count[y]);
    }
    rows = row1 - row0;
  }

  // Rows [row0, row0 + rows) after the horizontal pass, columns [x0, x1) only.
  std::vector<uint8_t> temp;
  const uint8_t* mid = nullptr;
  int mid_w = 0, mid_x0 = 0;
  if (need_h) {
    Coeffs ch = precompute_coeffs(in.width, out_width, filter);
    temp.resize(static_cast<size_t>(rows) * out.width * 3);
    if (kernels == ResampleKernels::kScalar) {
      horizontal_pass_scalar(in, ch, row0, rows, x0, x1, temp.data());
    } else {
      horizontal_pass(in, ch, row0, rows, x0, x1, temp.data());
    }
    mid = temp.data();
    mid_w = out.width;
  } else {
    // Rows of the input itself; the window's columns are picked below.
    mid = &in.pixels[static_cast<size_t>(row0) * in.width * 3];
    mid_w = in.width;
    mid_x0 = x0;
  }

  if (need_v) {
    if (mid_w == out.width) {
      vertical_pass(mid, mid_w, row0, cv, y0, y1, out.pixels.data());
    } else {
      std::vector<uint8_t> full(static_cast<size_t>(y1 - y0) * mid_w * 3);
      vertical_pass(mid, mid_w, row0, cv, y0, y1, full.data());
      for (int y = 0; y < out.height; ++y) {
        std::memcpy(&out.pixels[static_cast<size_t>(y) * out.width * 3],
                    &full[(static_cast<size_t>(y) * mid_w + mid_x0) * 3],
                    static_cast<size_t>(out.width) * 3);
      }
    }
  } else {
    for (int y = 0; y < out.height; ++y) {
      std::memcpy(&out.pixels[static_cast<size_t>(y) * out.width * 3],
                  mid + (static_cast<size_t>(y) * mid_w + mid_x0) * 3,
                  static_cast<size_t>(out.width) * 3);
    }
  }
  return out;
}

RgbImage image_resize(const RgbImage& in, int width, int height, ResampleFilter filter) {
  return image_resize_window(in, width, height, 0, 0, width, height, filter);
}

}  // namespace clipsearch
