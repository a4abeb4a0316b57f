// Products with a float32 weight packed once, at load, for this project's own register-blocked
// kernel: y[m, out] = beta * y[m, out] + x[m, in] . W^T.
//
// OpenBLAS's sgemm packs the weight again on every call. With many rows (a batch of images) that
// copy is amortized; with few (one image's 7 x 7 or 14 x 14 maps, the 16 to 200 tiles of a
// Winograd product) it costs as much as the arithmetic: a fifth of a single RN50 image's time
// went to sgemm's packing. Here the weight is stored as panels of kPackedPanel outputs, [in]
// [kPackedPanel] each, and the kernel streams the activations' rows against them directly
// (AVX-512: 6 rows x 32 outputs per step in 12 registers; AVX2: 6 x 16; plain C++ below).
#pragma once

#include <cstdint>
#include <vector>

namespace clipsearch {

inline constexpr int64_t kPackedPanel = 16;

class PackedWeights {
 public:
  PackedWeights() = default;
  // w [out, in], row-major (nn.Linear / conv.h's layout).
  PackedWeights(const float* w, int64_t out, int64_t in);

  int64_t out() const { return out_; }
  int64_t in() const { return in_; }
  bool empty() const { return out_ == 0; }
  // Panel p: [in][kPackedPanel], outputs p * kPackedPanel + j, zero past out().
  const float* panel(int64_t p) const { return data_.data() + p * in_ * kPackedPanel; }

 private:
  int64_t out_ = 0, in_ = 0;
  std::vector<float> data_;
};

// What the kernel applies to each output as it stores it: y = relu?(beta * y + x . W^T + bias),
// the bias [W.out()] (null: none) added before the ReLU. Done in the store, the product's output
// is not read again for a separate pass (a folded batch norm and its ReLU).
struct PackedOutput {
  const float* bias = nullptr;
  bool relu = false;
};

// Outputs [col0, col1) of y = beta * y + x . W^T (then `output`) on the calling thread. col0 is a
// multiple of kPackedPanel.
void packed_gemm_single(int64_t m, const float* x, int64_t ldx, const PackedWeights& w,
                        int64_t col0, int64_t col1, float beta, float* y, int64_t ldy,
                        const PackedOutput& output = {});

// All of y = beta * y + x . W^T (then `output`), the outputs (or, with few of them, the rows)
// split over the thread pool.
void packed_gemm(int64_t m, const float* x, int64_t ldx, const PackedWeights& w, float beta,
                 float* y, int64_t ldy, const PackedOutput& output = {});

}  // namespace clipsearch
