// Int8 x int8 products for `--precision int8-dynamic`: the weights are the int8 ones of
// `--precision int8` (symmetric, one scale per output channel), and each row of activations is
// quantized at run time, symmetric, to [-127, 127] with its own scale (max |x| / 127), the
// products accumulated exactly in int32 and dequantized with row scale x channel scale:
//   y[r][c] = beta * y[r][c] + float(sum_i qx[r][i] * qw[c][i]) * (sx[r] * sw[c])
//
// The kernels (int8_gemm_{scalar,avx2,vnni}.cpp) produce the same int32 sums and so the same
// floats bit for bit on every level:
//   kVnni   AVX-512 VNNI vpdpbusd (u8 x s8 -> s32): activations stored as qx + 128 (u8), the
//           surplus 128 * sum_i qw[c][i] subtracted with the column sums packed at load
//   kAvx2   vpsignb + vpmaddubsw + vpmaddwd: |qx| (u8) times qw with qx's sign; since both are
//           at most 127 in magnitude, a pair of products (<= 32258) never saturates int16
//   kScalar plain loops
// Symmetric activations in [-127, 127] rather than the 256 levels an asymmetric u8 quantization
// would give VNNI: that is what keeps every level exact (and the embeddings of a catalog equal
// whatever CPU indexed them), the AVX2 path free of saturation, and the dequantization one
// multiply.
//
// Int8Packed is immutable once packed, so any number of threads may multiply by it.
#pragma once

#include <cstdint>
#include <vector>

#include "core/isa.h"

namespace clipsearch {

// One linear layer's int8 weights in the layout the kernels read: output channels in blocks of
// 16, inputs in groups of 4, data[block][group][channel in block][input in group], padded with
// zeros to whole blocks and groups.
struct Int8Packed {
  int64_t out = 0, in = 0;
  int64_t depth = 0;                 // in rounded up to a multiple of 4
  int64_t blocks = 0;                // (out + 15) / 16
  std::vector<int8_t> data;          // [blocks][depth / 4][16][4]
  std::vector<int32_t> column_sums;  // [blocks * 16] sum_i q[o][i] (0 past out)
  std::vector<float> scales;         // [blocks * 16] the channel scales (0 past out)

  int8_t at(int64_t o, int64_t i) const {
    return data[static_cast<size_t>(((o / 16) * (depth / 4) + i / 4) * 64 + (o % 16) * 4 + i % 4)];
  }
  int64_t bytes() const {
    return static_cast<int64_t>(data.size() + 4 * (column_sums.size() + scales.size()));
  }
};

// Packs q [out, in] (row o scaled by scales[o]); on the thread pool.
Int8Packed int8_pack(const int8_t* q, const float* scales, int64_t out, int64_t in);

enum class Int8Level { kScalar, kAvx2, kVnni };
const char* int8_level_name(Int8Level level);
// The best int8 kernels level `isa` allows on this CPU: kVnni needs isa >= kAvx512 and the
// AVX512_VNNI cpuid bit, kAvx2 isa >= kAvx2.
Int8Level int8_level(Isa isa);
// int8_level(isa_active()), read once.
Int8Level int8_level_active();

// y[m, out] = beta * y + quantized(x[m, in]) . W^T, on the thread pool: many rows split by rows
// (each thread quantizes its own), few rows by output channels (quantized once).
void int8_linear(int64_t m, const float* x, int64_t ldx, const Int8Packed& w, float beta, float* y,
                 int64_t ldy);
// The same on the calling thread.
void int8_linear_single(int64_t m, const float* x, int64_t ldx, const Int8Packed& w, float beta,
                        float* y, int64_t ldy);

namespace int8_internal {

// One level's kernels.
struct Int8Kernels {
  // Quantizes x [in] into q [depth] (zeros past in), returns the row's scale. `to_unsigned`
  // stores qx + 128 (as the vnni product reads), else qx.
  float (*quantize)(const float* x, int64_t in, int64_t depth, bool to_unsigned, int8_t* q);
  // y rows [0, rows), channels of blocks [block0, block1) (clipped to w.out): the formula at the
  // top, from quantized rows q (row r at q + r * ldq, as quantize wrote them) and their scales.
  void (*product)(const Int8Packed& w, int64_t rows, const int8_t* q, int64_t ldq,
                  const float* row_scales, int64_t block0, int64_t block1, float beta, float* y,
                  int64_t ldy);
  bool unsigned_activations;  // what `to_unsigned` the product expects
};

const Int8Kernels& int8_kernels(Int8Level level);

// One activation quantized with the row's 127 / max|x|: clamped to [-127, 127] (in the operand
// order of maxps/minps, so a NaN becomes -127 on every level) and rounded to nearest even by
// adding and subtracting 1.5 * 2^23, which is what cvtps2dq does under the default rounding mode
// (no libm call per value), then offset (0x80 makes it the u8 that vnni reads).
inline int8_t quantize_value(float x, float inv, uint8_t offset) {
  constexpr float kRound = 12582912.0f;
  float v = x * inv;
  v = v > -127.0f ? v : -127.0f;
  v = v < 127.0f ? v : 127.0f;
  const auto rounded = static_cast<int8_t>((v + kRound) - kRound);
  return static_cast<int8_t>(static_cast<uint8_t>(rounded) ^ offset);
}
// y = beta * y + float(sum) * (row_scale * column scale) for `count` channels from channel c0:
// the dequantization every level performs, in this order (so the floats agree bit for bit).
void int8_dequantize_scalar(const int32_t* sums, int64_t count, float row_scale,
                            const float* column_scales, float beta, float* y);

extern const Int8Kernels kScalar;
extern const Int8Kernels kAvx2;
extern const Int8Kernels kVnni;
// The AVX2 quantization, which the vnni level uses too.
float quantize_avx2(const float* x, int64_t in, int64_t depth, bool to_unsigned, int8_t* q);

}  // namespace int8_internal
}  // namespace clipsearch
