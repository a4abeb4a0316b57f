// WeightMatrix: the weight of one linear layer in the precision the model runs at, and the one
// place the forward pass multiplies by it (weight_linear.h). This is where precisions meet: the
// activations that flow through the encoder are always float32; only the weights of the big
// linear layers change type, converted once at load.
//
//   kF32   the checkpoint's float32 tensor, used in place ([out, in] or [in, out]); products are
//          the existing sgemm path, unchanged bit for bit
//   kBF16  bfloat16 [out, in], rounded to nearest even from float32
//   kF16   IEEE binary16 [out, in], rounded to nearest even
//   kInt8  int8 [out, in], symmetric per output channel: w[o][i] ~ scale[o] * q[o][i], with
//          scale[o] = max_i |w[o][i]| / 127 and q in [-127, 127] (weight-only: the activations
//          stay float32); or, for `--precision int8-dynamic`, the same values packed for
//          int8 x int8 products (int8_gemm.h: the activations quantized per row at run time)
// On a CPU with BF16 arithmetic, a BF16 layer of the forward pass is held packed for it
// (bf16_packed.h) instead of [out, in].
//
// A float32 matrix is a view of memory the caller keeps alive (the weight store's map); a matrix
// of a reduced type either owns its storage (converted at load) or is a view too (a folder that
// `clipsearch quantize` wrote, mapped as stored). Immutable once built, so any number of threads
// may read it.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "tensor/gemm.h"

namespace clipsearch {

enum class WeightType { kF32, kBF16, kF16, kInt8 };
struct Int8Packed;  // tensor/int8_gemm.h
struct Bf16Packed;  // tensor/bf16_packed.h

// Inline: the CUDA module (src/cuda), which links no layer, names types too.
inline const char* weight_type_name(WeightType type) {
  switch (type) {
    case WeightType::kF32:
      return "f32";
    case WeightType::kBF16:
      return "bf16";
    case WeightType::kF16:
      return "f16";
    case WeightType::kInt8:
      return "int8";
  }
  return "f32";
}

class WeightMatrix {
 public:
  WeightMatrix() = default;

  // A float32 view: `data` is [out, in] (kOutIn) or [in, out] (kInOut).
  static WeightMatrix f32(const float* data, int64_t out, int64_t in, WeightLayout layout);
  // An owned float32 [out, in] matrix (weights computed at load, e.g. a convolution with its
  // batch norm folded in).
  static WeightMatrix owned_f32(std::vector<float> data, int64_t out, int64_t in);
  // A view of weights already in `type` (not kF32), [out, in]: `data` is uint16_t (kBF16,
  // kF16) or int8_t (kInt8, with `scales` [out]; null otherwise). Aligned to the element size.
  static WeightMatrix view(WeightType type, const void* data, const float* scales, int64_t out,
                           int64_t in);
  // `source` (float32) converted to `type`, stored [out, in] whatever the source layout. kF32
  // returns the view unchanged. Runs on the thread pool.
  static WeightMatrix convert(const WeightMatrix& source, WeightType type);
  // `int8` (kInt8, [out, in]) packed for int8 x int8 products (int8_gemm.h), which linear()
  // then runs; the result keeps no [out, in] copy (i8_data() is null). Runs on the thread pool.
  static WeightMatrix int8_products(const WeightMatrix& int8);
  // `bf16` (kBF16, [out, in]) packed for the BF16 arithmetic level's products
  // (bf16_packed.h), which linear() then runs; the result keeps no [out, in] copy (u16_data()
  // is null). Only where bf16_products_packed() (weight_linear.h). Runs on the thread pool.
  static WeightMatrix bf16_products(const WeightMatrix& bf16);

  WeightType type() const { return type_; }
  WeightLayout layout() const { return layout_; }
  int64_t out() const { return out_; }
  int64_t in() const { return in_; }
  bool empty() const { return out_ == 0; }

  const float* f32_data() const { return f32_owned_.empty() ? f32_ : f32_owned_.data(); }  // kF32
  // Owned storage when there is some, else the view's (so that copies stay valid).
  const uint16_t* u16_data() const { return u16_.empty() ? u16_view_ : u16_.data(); }
  const int8_t* i8_data() const { return i8_.empty() ? i8_view_ : i8_.data(); }  // kInt8
  const float* scales() const;
  // The packing for int8 x int8 products, or null (weight-only int8, other types).
  const Int8Packed* int8_packed() const { return int8_packed_.get(); }
  // The packing for the BF16 arithmetic level, or null.
  const Bf16Packed* bf16_packed() const { return bf16_packed_.get(); }
  // The float32 value the matrix stands for at (o, i): what every kernel multiplies by.
  float at(int64_t o, int64_t i) const;
  // Bytes the weights occupy in this type (the float32 view counts its mapped tensor).
  int64_t bytes() const;

 private:
  // `source`'s type and shape, no weights yet: what a packing fills.
  static WeightMatrix without_storage(const WeightMatrix& source);

  WeightType type_ = WeightType::kF32;
  WeightLayout layout_ = WeightLayout::kOutIn;
  int64_t out_ = 0, in_ = 0;
  const float* f32_ = nullptr;
  const uint16_t* u16_view_ = nullptr;
  const int8_t* i8_view_ = nullptr;
  const float* scales_view_ = nullptr;
  std::vector<float> f32_owned_;
  std::vector<uint16_t> u16_;
  std::vector<int8_t> i8_;
  std::vector<float> scales_;
  std::shared_ptr<const Int8Packed> int8_packed_;  // shared by copies, like a view
  std::shared_ptr<const Bf16Packed> bf16_packed_;  // the same
};

}  // namespace clipsearch
