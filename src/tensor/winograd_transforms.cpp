#include "tensor/winograd_transforms.h"

#include <algorithm>
#include <vector>

#include "core/isa.h"
#include "core/simd_target.h"

namespace clipsearch {
namespace {

// Channels per step: a tile's (tile + 2)^2 blocks of this many channels stay in L1 and each
// lane loop is one AVX-512 register (two AVX2 ones).
constexpr int kLanes = 16;

// The 1-d transforms on kLanes channels at once: element k of `in` at in + k * s, of `out` at
// out + k * os. Applied to every column of a tile, then to every row. ref: Lavin & Gray (2016).

// F(2x2, 3x3): B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1].
[[gnu::always_inline]] inline void input_1d_f2(const float* in, int s, float* out, int os) {
  for (int l = 0; l < kLanes; ++l) {
    const float d0 = in[l], d1 = in[s + l], d2 = in[2 * s + l], d3 = in[3 * s + l];
    out[l] = d0 - d2;
    out[os + l] = d1 + d2;
    out[2 * os + l] = d2 - d1;
    out[3 * os + l] = d1 - d3;
  }
}

// F(2x2, 3x3): A^T = [1 1 1 0; 0 1 -1 -1].
[[gnu::always_inline]] inline void output_1d_f2(const float* in, int s, float* out, int os) {
  for (int l = 0; l < kLanes; ++l) {
    const float m0 = in[l], m1 = in[s + l], m2 = in[2 * s + l], m3 = in[3 * s + l];
    out[l] = m0 + m1 + m2;
    out[os + l] = m1 - m2 - m3;
  }
}

// F(4x4, 3x3), interpolation points 0, -1, 1, -2, 2 and infinity:
//   B^T = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0; 0 -2 -1 2 1 0; 0 2 -1 -2 1 0;
//          0 4 0 -5 0 1].
[[gnu::always_inline]] inline void input_1d_f4(const float* in, int s, float* out, int os) {
  for (int l = 0; l < kLanes; ++l) {
    const float d0 = in[l], d1 = in[s + l], d2 = in[2 * s + l], d3 = in[3 * s + l],
                d4 = in[4 * s + l], d5 = in[5 * s + l];
    out[l] = 4.0f * d0 - 5.0f * d2 + d4;
    out[os + l] = (d3 + d4) - 4.0f * (d1 + d2);
    out[2 * os + l] = (d4 - d3) + 4.0f * (d1 - d2);
    out[3 * os + l] = (d4 - d2) - 2.0f * (d1 - d3);
    out[4 * os + l] = (d4 - d2) + 2.0f * (d1 - d3);
    out[5 * os + l] = 4.0f * d1 - 5.0f * d3 + d5;
  }
}

// F(4x4, 3x3): A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1].
[[gnu::always_inline]] inline void output_1d_f4(const float* in, int s, float* out, int os) {
  for (int l = 0; l < kLanes; ++l) {
    const float m0 = in[l], m1 = in[s + l], m2 = in[2 * s + l], m3 = in[3 * s + l],
                m4 = in[4 * s + l], m5 = in[5 * s + l];
    const float sum12 = m1 + m2, diff12 = m1 - m2, sum34 = m3 + m4, diff34 = m3 - m4;
    out[l] = m0 + sum12 + sum34;
    out[os + l] = diff12 + 2.0f * diff34;
    out[2 * os + l] = sum12 + 4.0f * sum34;
    out[3 * os + l] = diff12 + 8.0f * diff34 + m5;
  }
}

template <int kTile>
[[gnu::always_inline]] inline void input_1d(const float* in, int s, float* out, int os) {
  if constexpr (kTile == 2) {
    input_1d_f2(in, s, out, os);
  } else {
    input_1d_f4(in, s, out, os);
  }
}

template <int kTile>
[[gnu::always_inline]] inline void output_1d(const float* in, int s, float* out, int os) {
  if constexpr (kTile == 2) {
    output_1d_f2(in, s, out, os);
  } else {
    output_1d_f4(in, s, out, os);
  }
}

// A step's kLanes channels from src (null: padding) into lanes, zero past `lanes`; and back. The
// full step, every step but a ragged last one, has its own loop of constant length: with the
// count known only at run time the compiler made the load a lane-by-lane branch and the store a
// `rep movs`, which took a third of the input transform.
[[gnu::always_inline]] inline void load_lanes(const float* src, int64_t lanes, float* dst) {
  if (src != nullptr && lanes == kLanes) {
    for (int l = 0; l < kLanes; ++l) dst[l] = src[l];
    return;
  }
  for (int l = 0; l < kLanes; ++l) dst[l] = src != nullptr && l < lanes ? src[l] : 0.0f;
}

[[gnu::always_inline]] inline void store_lanes(const float* src, int64_t lanes, float* dst) {
  if (lanes == kLanes) {
    for (int l = 0; l < kLanes; ++l) dst[l] = src[l];
    return;
  }
  for (int64_t l = 0; l < lanes; ++l) dst[l] = src[l];
}

struct TilePosition {
  int64_t image, y, x;  // the tile's image and its first output's row and column
};

TilePosition position(const WinogradTiling& t, int64_t tile) {
  const int64_t within = tile % t.per_image;
  return {tile / t.per_image, within / t.cols * t.tile, within % t.cols * t.tile};
}

template <int kTile>
[[gnu::always_inline]] inline void input_tiles(const WinogradTiling& t, const float* x,
                                               int64_t first, int64_t count, int64_t begin,
                                               int64_t end, float* v) {
  constexpr int kAlpha = kTile + 2, kPoints = kAlpha * kAlpha;
  const int64_t channels = t.channels;
  for (int64_t i = begin; i < end; ++i) {
    const TilePosition p = position(t, first + i);
    const float* d[kPoints];  // null: padding
    for (int r = 0; r < kAlpha; ++r) {
      for (int s = 0; s < kAlpha; ++s) {
        const int64_t iy = p.y - 1 + r, ix = p.x - 1 + s;
        const bool inside = iy >= 0 && iy < t.height && ix >= 0 && ix < t.width;
        d[r * kAlpha + s] =
            inside ? x + ((p.image * t.height + iy) * t.width + ix) * channels : nullptr;
      }
    }
    for (int64_t c0 = 0; c0 < channels; c0 += kLanes) {
      const int64_t lanes = std::min<int64_t>(kLanes, channels - c0);
      float a[kPoints][kLanes], b[kPoints][kLanes];
      for (int e = 0; e < kPoints; ++e) {
        load_lanes(d[e] != nullptr ? d[e] + c0 : nullptr, lanes, a[e]);
      }
      for (int s = 0; s < kAlpha; ++s) {  // B^T d: combine rows
        input_1d<kTile>(a[s], kAlpha * kLanes, b[s], kAlpha * kLanes);
      }
      for (int r = 0; r < kAlpha; ++r) {  // (B^T d) B: combine columns
        input_1d<kTile>(b[r * kAlpha], kLanes, a[r * kAlpha], kLanes);
      }
      for (int e = 0; e < kPoints; ++e) {
        store_lanes(a[e], lanes, v + (e * count + i) * channels + c0);
      }
    }
  }
}

// One output pixel's lanes [o0, o0 + lanes) from its transformed tile values: dst = act(beta * dst
// + src + bias), in the order of bias_activation (ops.h) after the sum. ReLU and identity in
// place (the lanes are still in registers); any other activation through bias_activation.
[[gnu::always_inline]] inline void finish_lanes(const float* src, int64_t lanes, float beta,
                                                const float* bias, bool relu, float* dst) {
  for (int64_t l = 0; l < lanes; ++l) {
    float v = beta == 0.0f ? src[l] : beta * dst[l] + src[l];
    if (bias != nullptr) v += bias[l];
    dst[l] = relu ? std::max(0.0f, v) : v;
  }
}

[[gnu::always_inline]] inline void store_output(const float* src, int64_t lanes, float beta,
                                                const float* bias, Activation act, float* dst) {
  const bool relu = act == Activation::kRelu;
  if (lanes == kLanes) {  // a constant count, as in load_lanes
    finish_lanes(src, kLanes, beta, bias, relu, dst);
  } else {
    finish_lanes(src, lanes, beta, bias, relu, dst);
  }
  if (!relu && act != Activation::kIdentity) bias_activation(dst, 1, lanes, lanes, nullptr, act);
}

template <int kTile>
[[gnu::always_inline]] inline void output_tiles(const WinogradTiling& t, const float* m,
                                                int64_t first, int64_t count, int64_t begin,
                                                int64_t end, int64_t out, float beta, float* y,
                                                const float* bias, Activation act) {
  constexpr int kAlpha = kTile + 2, kPoints = kAlpha * kAlpha;
  for (int64_t i = begin; i < end; ++i) {
    const TilePosition p = position(t, first + i);
    for (int64_t o0 = 0; o0 < out; o0 += kLanes) {
      const int64_t lanes = std::min<int64_t>(kLanes, out - o0);
      float a[kPoints][kLanes], b[kPoints][kLanes];
      for (int e = 0; e < kPoints; ++e) {
        load_lanes(m + (e * count + i) * out + o0, lanes, a[e]);
      }
      for (int s = 0; s < kAlpha; ++s) {  // A^T m: combine rows
        output_1d<kTile>(a[s], kAlpha * kLanes, b[s], kAlpha * kLanes);
      }
      for (int r = 0; r < kTile; ++r) {  // (A^T m) A: combine columns
        output_1d<kTile>(b[r * kAlpha], kLanes, a[r * kTile], kLanes);
      }
      // Straight into the map, bias and activation included: no tile buffer, no second pass.
      for (int r = 0; r < kTile; ++r) {
        for (int s = 0; s < kTile; ++s) {
          const int64_t oy = p.y + r, ox = p.x + s;
          if (oy >= t.height || ox >= t.width) continue;  // odd sizes drop the rest
          float* dst = y + ((p.image * t.height + oy) * t.width + ox) * out + o0;
          store_output(a[r * kTile + s], lanes, beta, bias == nullptr ? nullptr : bias + o0, act,
                       dst);
        }
      }
    }
  }
}

// The two transforms as jobs, so that one wrapper per level compiles either.
template <int kTile>
struct InputTiles {
  const WinogradTiling& t;
  const float* x;
  int64_t first, count, begin, end;
  float* v;
  [[gnu::always_inline]] void operator()() const {
    input_tiles<kTile>(t, x, first, count, begin, end, v);
  }
};

template <int kTile>
struct OutputTiles {
  const WinogradTiling& t;
  const float* m;
  int64_t first, count, begin, end, out;
  float beta;
  float* y;
  const float* bias;
  Activation act;
  [[gnu::always_inline]] void operator()() const {
    output_tiles<kTile>(t, m, first, count, begin, end, out, beta, y, bias, act);
  }
};

// The same C++ compiled at each level (the attribute lets the compiler vectorize the lane loops
// with that level's registers).
template <class Job>
CLIPSEARCH_TARGET_AVX512 void run_avx512(const Job& job) {
  job();
}
template <class Job>
CLIPSEARCH_TARGET_AVX2 void run_avx2(const Job& job) {
  job();
}
template <class Job>
void run_at_level(const Job& job) {
  const Isa isa = isa_active();
  if (isa_at_least(isa, Isa::kAvx512)) {
    run_avx512(job);
  } else if (isa_at_least(isa, Isa::kAvx2)) {
    run_avx2(job);
  } else {
    job();
  }
}

}  // namespace

WinogradTiling::WinogradTiling(const ConvGeometry& g, int64_t tile_size)
    : tile(tile_size),
      alpha(tile_size + 2),
      points((tile_size + 2) * (tile_size + 2)),
      height(g.height),
      width(g.width),
      channels(g.channels),
      rows((g.height + tile_size - 1) / tile_size),
      cols((g.width + tile_size - 1) / tile_size),
      per_image(rows * cols) {}

void winograd_input_tiles(const WinogradTiling& t, const float* x, int64_t first, int64_t count,
                          int64_t begin, int64_t end, float* v) {
  if (t.tile == 2) {
    run_at_level(InputTiles<2>{t, x, first, count, begin, end, v});
  } else {
    run_at_level(InputTiles<4>{t, x, first, count, begin, end, v});
  }
}

void winograd_output_tiles(const WinogradTiling& t, const float* m, int64_t first, int64_t count,
                           int64_t begin, int64_t end, int64_t out, float beta, float* y,
                           const float* bias, Activation act) {
  if (t.tile == 2) {
    run_at_level(OutputTiles<2>{t, m, first, count, begin, end, out, beta, y, bias, act});
  } else {
    run_at_level(OutputTiles<4>{t, m, first, count, begin, end, out, beta, y, bias, act});
  }
}

}  // namespace clipsearch
