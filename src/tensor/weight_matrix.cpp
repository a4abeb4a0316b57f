#include "tensor/weight_matrix.h"

#include <algorithm>
#include <cassert>
#include <cmath>

#include "core/half.h"
#include "core/thread_pool.h"
#include "tensor/bf16_packed.h"
#include "tensor/int8_gemm.h"

namespace clipsearch {
namespace {

// Row o of the source as float32 [in], wherever its layout puts it.
void source_row(const WeightMatrix& w, int64_t o, float* row) {
  const float* data = w.f32_data();
  if (w.layout() == WeightLayout::kOutIn) {
    std::copy(data + o * w.in(), data + (o + 1) * w.in(), row);
  } else {
    for (int64_t i = 0; i < w.in(); ++i) row[i] = data[i * w.out() + o];
  }
}

// Symmetric per-channel int8: the scale maps the row's largest magnitude to 127, so no value
// clips; an all-zero row keeps scale 0 (every q is 0).
// ref: torch.ao.quantization's per_channel_symmetric observer (qint8 restricted to [-127, 127]).
float quantize_row(const float* row, int64_t n, int8_t* q) {
  float max_abs = 0;
  for (int64_t i = 0; i < n; ++i) max_abs = std::max(max_abs, std::fabs(row[i]));
  const float scale = max_abs / 127.0f;
  // Round to nearest even by adding and subtracting 1.5 * 2^23 (exact for |v| < 2^22): what
  // std::nearbyint gives, without a libm call per weight on baseline x86-64.
  constexpr float kRound = 12582912.0f;
  for (int64_t i = 0; i < n; ++i) {
    const float v = scale == 0.0f ? 0.0f : (row[i] / scale + kRound) - kRound;
    q[i] = static_cast<int8_t>(std::clamp(v, -127.0f, 127.0f));
  }
  return scale;
}

}  // namespace

WeightMatrix WeightMatrix::f32(const float* data, int64_t out, int64_t in, WeightLayout layout) {
  WeightMatrix w;
  w.f32_ = data;
  w.out_ = out;
  w.in_ = in;
  w.layout_ = layout;
  return w;
}

WeightMatrix WeightMatrix::owned_f32(std::vector<float> data, int64_t out, int64_t in) {
  assert(static_cast<int64_t>(data.size()) == out * in);
  WeightMatrix w;
  w.f32_owned_ = std::move(data);
  w.out_ = out;
  w.in_ = in;
  return w;
}

WeightMatrix WeightMatrix::view(WeightType type, const void* data, const float* scales, int64_t out,
                                int64_t in) {
  assert(type != WeightType::kF32);
  WeightMatrix w;
  w.type_ = type;
  w.out_ = out;
  w.in_ = in;
  if (type == WeightType::kInt8) {
    w.i8_view_ = static_cast<const int8_t*>(data);
    w.scales_view_ = scales;
  } else {
    w.u16_view_ = static_cast<const uint16_t*>(data);
  }
  return w;
}

WeightMatrix WeightMatrix::convert(const WeightMatrix& source, WeightType type) {
  assert(source.type_ == WeightType::kF32);
  if (type == WeightType::kF32) return source;
  WeightMatrix w;
  w.type_ = type;
  w.out_ = source.out_;
  w.in_ = source.in_;
  const int64_t n = w.in_;
  const auto size = static_cast<size_t>(w.out_ * n);
  if (type == WeightType::kInt8) {
    w.i8_.resize(size);
    w.scales_.resize(static_cast<size_t>(w.out_));
  } else {
    w.u16_.resize(size);
  }
  parallel_for(
      w.out_,
      [&](int64_t begin, int64_t end) {
        std::vector<float> row(static_cast<size_t>(n));
        for (int64_t o = begin; o < end; ++o) {
          source_row(source, o, row.data());
          switch (type) {
            case WeightType::kBF16:
              for (int64_t i = 0; i < n; ++i) w.u16_[o * n + i] = f32_to_bf16(row[i]);
              break;
            case WeightType::kF16:
              for (int64_t i = 0; i < n; ++i) w.u16_[o * n + i] = f32_to_f16(row[i]);
              break;
            case WeightType::kInt8:
              w.scales_[o] = quantize_row(row.data(), n, w.i8_.data() + o * n);
              break;
            case WeightType::kF32:
              break;
          }
        }
      },
      16);
  return w;
}

WeightMatrix WeightMatrix::without_storage(const WeightMatrix& source) {
  WeightMatrix w;
  w.type_ = source.type_;
  w.out_ = source.out_;
  w.in_ = source.in_;
  return w;
}

WeightMatrix WeightMatrix::int8_products(const WeightMatrix& int8) {
  assert(int8.type_ == WeightType::kInt8 && int8.int8_packed_ == nullptr);
  WeightMatrix w = without_storage(int8);
  w.int8_packed_ = std::make_shared<const Int8Packed>(
      int8_pack(int8.i8_data(), int8.scales(), int8.out_, int8.in_));
  return w;
}

WeightMatrix WeightMatrix::bf16_products(const WeightMatrix& bf16) {
  assert(bf16.type_ == WeightType::kBF16 && bf16.bf16_packed_ == nullptr);
  WeightMatrix w = without_storage(bf16);
  w.bf16_packed_ =
      std::make_shared<const Bf16Packed>(bf16_pack(bf16.u16_data(), bf16.out_, bf16.in_));
  return w;
}

const float* WeightMatrix::scales() const {
  if (int8_packed_ != nullptr) return int8_packed_->scales.data();
  return scales_.empty() ? scales_view_ : scales_.data();
}

float WeightMatrix::at(int64_t o, int64_t i) const {
  if (int8_packed_ != nullptr) {
    return int8_packed_->scales[static_cast<size_t>(o)] *
           static_cast<float>(int8_packed_->at(o, i));
  }
  if (bf16_packed_ != nullptr) return bf16_to_f32(bf16_packed_->at(o, i));
  switch (type_) {
    case WeightType::kF32:
      return layout_ == WeightLayout::kOutIn ? f32_data()[o * in_ + i] : f32_data()[i * out_ + o];
    case WeightType::kBF16:
      return bf16_to_f32(u16_data()[o * in_ + i]);
    case WeightType::kF16:
      return f16_to_f32(u16_data()[o * in_ + i]);
    case WeightType::kInt8:
      return scales()[o] * static_cast<float>(i8_data()[o * in_ + i]);
  }
  return 0;
}

int64_t WeightMatrix::bytes() const {
  if (int8_packed_ != nullptr) return int8_packed_->bytes();
  if (bf16_packed_ != nullptr) return bf16_packed_->bytes();
  const int64_t count = out_ * in_;
  switch (type_) {
    case WeightType::kF32:
      return count * 4;
    case WeightType::kBF16:
    case WeightType::kF16:
      return count * 2;
    case WeightType::kInt8:
      return count + out_ * 4;
  }
  return 0;
}

}  // namespace clipsearch
