// Conversions between float32 and the 16-bit float formats that checkpoints are published in and
// that reduced-precision weights are kept in. To float32 both are exact (every F16 and BF16 value
// is a float32); from float32 both round to nearest, ties to even, as PyTorch's .to() does.
#pragma once

#include <cstdint>
#include <cstring>

namespace clipsearch {

inline float bf16_to_f32(uint16_t h) {
  uint32_t bits = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

// IEEE 754 binary16 -> binary32, subnormals, infinities and NaN included.
inline float f16_to_f32(uint16_t h) {
  uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  uint32_t exponent = (h >> 10) & 0x1f;
  uint32_t mantissa = h & 0x3ff;
  uint32_t bits;
  if (exponent == 0x1f) {
    bits = sign | 0x7f800000 | (mantissa << 13);
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    bits = sign;
  } else {  // subnormal: normalize the mantissa
    int shift = 0;
    while ((mantissa & 0x400) == 0) {
      mantissa <<= 1;
      ++shift;
    }
    mantissa &= 0x3ff;
    bits = sign | (static_cast<uint32_t>(113 - shift) << 23) | (mantissa << 13);
  }
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

// float32 -> BF16, rounded to nearest even; NaN stays a (quiet) NaN.
inline uint16_t f32_to_bf16(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  if ((bits & 0x7fffffff) > 0x7f800000) return static_cast<uint16_t>((bits >> 16) | 0x40);
  bits += 0x7fff + ((bits >> 16) & 1);
  return static_cast<uint16_t>(bits >> 16);
}

// float32 -> IEEE 754 binary16, rounded to nearest even: overflow to infinity, tiny values to
// subnormals or zero, NaN to a quiet NaN.
inline uint16_t f32_to_f16(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  const uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000);
  const uint32_t abs = bits & 0x7fffffff;
  if (abs > 0x7f800000) return static_cast<uint16_t>(sign | 0x7e00);   // NaN
  if (abs >= 0x477ff000) return static_cast<uint16_t>(sign | 0x7c00);  // rounds past 65504
  const int32_t exponent = static_cast<int32_t>(abs >> 23) - 127;
  if (exponent >= -14) {  // normal: drop 13 mantissa bits with rounding (a carry may bump the
                          // exponent, which is still the right result)
    uint32_t h = ((static_cast<uint32_t>(exponent + 15) << 10) | ((abs >> 13) & 0x3ff));
    // Round up when the dropped bits are over half, or exactly half and h is odd; branch-free
    // (the rounding direction of weights is random, a branch would mispredict half the time).
    const uint32_t rest = abs & 0x1fff;
    h += (rest + (h & 1)) > 0x1000 ? 1u : 0u;
    return static_cast<uint16_t>(sign | h);
  }
  if (exponent < -25) return sign;  // below half the smallest subnormal: zero
  // Subnormal: value = mantissa_with_implicit_one * 2^(exponent - 23), in units of 2^-24.
  const uint32_t mantissa = (abs & 0x7fffff) | 0x800000;
  const int shift = -exponent - 1;  // 14..24: 2^(exponent-23) / 2^-24 = 2^(exponent+1)
  uint32_t h = mantissa >> shift;
  const uint32_t rest = mantissa & ((1u << shift) - 1), half = 1u << (shift - 1);
  if (rest > half || (rest == half && (h & 1))) ++h;
  return static_cast<uint16_t>(sign | h);
}

}  // namespace clipsearch
