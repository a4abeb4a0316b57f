// The CUDA backend's row-wise operations: each looks up its weights' device copies and queues
// one kernel (elementwise.h, layer_norm.h, rows.h).
#include <algorithm>
#include <string>

#include "cuda/cuda_backend.h"
#include "cuda/elementwise.h"
#include "cuda/layer_norm.h"
#include "cuda/rows.h"

namespace clipsearch::cuda {

void CudaBackend::fill_rows(float* y, int64_t rows, int64_t cols, int64_t ldy,
                            const float* values) {
  if (!ready()) return;
  const float* v = vector(values, cols, "fill_rows");
  if (v != nullptr) check(cuda::fill_rows(y, rows, cols, ldy, v, stream_), "fill_rows");
}

void CudaBackend::bias_activation(float* x, int64_t rows, int64_t cols, int64_t ld,
                                  const float* bias, Activation act) {
  if (!ready()) return;
  const float* b = vector(bias, cols, "bias_activation");
  if (status_.ok()) {
    check(cuda::bias_activation(x, rows, cols, ld, b, act, stream_), "bias_activation");
  }
}

void CudaBackend::layer_norm(const float* x, int64_t rows, int64_t width, int64_t ldx,
                             const float* gamma, const float* beta, float eps, float* out,
                             int64_t ldout) {
  if (!ready()) return;
  const float* g = vector(gamma, width, "layer_norm");
  const float* b = vector(beta, width, "layer_norm");
  if (g != nullptr && b != nullptr) {
    check(cuda::layer_norm(x, rows, width, ldx, g, b, eps, out, ldout, stream_), "layer_norm");
  }
}

void CudaBackend::add_residual(float* x, int64_t rows, int64_t width, int64_t ldx, const float* y,
                               int64_t ldy, const float* bias) {
  if (!ready()) return;
  const float* b = vector(bias, width, "add_residual");
  if (status_.ok()) {
    check(cuda::add_residual(x, rows, width, ldx, y, ldy, b, stream_), "add_residual");
  }
}

void CudaBackend::gather_rows(const float* src, int64_t ld, const int64_t* rows, int64_t count,
                              int64_t width, float* dst) {
  if (!ready() || count == 0) return;
  host_indices_.assign(rows, rows + count);
  const int64_t* device_rows = upload_indices(host_indices_);
  if (device_rows != nullptr) {
    check(cuda::gather_rows(src, ld, device_rows, count, width, dst, stream_), "gather_rows");
  }
}

void CudaBackend::scatter_rows(const float* src, const int64_t* rows, int64_t count, int64_t width,
                               float* dst, int64_t ld) {
  if (!ready() || count == 0) return;
  host_indices_.assign(rows, rows + count);
  const int64_t* device_rows = upload_indices(host_indices_);
  if (device_rows != nullptr) {
    check(cuda::scatter_rows(src, device_rows, count, width, dst, ld, stream_), "scatter_rows");
  }
}

void CudaBackend::unfold_patches(const float* pixels, int64_t images, int64_t channels,
                                 int64_t size, int64_t patch, float* patches) {
  if (!ready()) return;
  check(cuda::unfold_patches(pixels, images, channels, size, patch, patches, stream_),
        "unfold_patches");
}

void CudaBackend::position_rows(float* hidden, int64_t images, int64_t tokens, int64_t width,
                                const float* class_embedding, const float* positions) {
  if (!ready()) return;
  const float* c = vector(class_embedding, width, "position_rows");
  const float* p = vector(positions, tokens * width, "position_rows");
  if (status_.ok()) {
    check(cuda::position_rows(hidden, images, tokens, width, c, p, stream_), "position_rows");
  }
}

void CudaBackend::embed_tokens(const WeightMatrix& table, const int32_t* ids,
                               const int64_t* position, int64_t rows, const float* positions,
                               int64_t width, float* hidden) {
  if (!ready() || rows == 0) return;
  const DeviceMatrix* t = matrix(table, "embed_tokens");
  if (t == nullptr) return;
  host_indices_.resize(static_cast<size_t>(2 * rows));  // ids, then positions
  int64_t positions_needed = 0;
  for (int64_t r = 0; r < rows; ++r) {
    if (ids[r] < 0 || ids[r] >= t->out || t->in != width) {
      fail(Status::error(prefix() + ": embed_tokens: token id " + std::to_string(ids[r]) +
                         " in a table [" + std::to_string(t->out) + ", " + std::to_string(t->in) +
                         "] read " + std::to_string(width) + " wide"));
      return;
    }
    host_indices_[static_cast<size_t>(r)] = ids[r];
    host_indices_[static_cast<size_t>(rows + r)] = position[r];
    positions_needed = std::max(positions_needed, position[r] + 1);
  }
  const float* p = vector(positions, positions_needed * width, "embed_tokens");
  const int64_t* device_indices = p != nullptr ? upload_indices(host_indices_) : nullptr;
  if (device_indices != nullptr) {
    check(
        cuda::embed_tokens(t->data.get(), t->type, device_indices, rows, p, width, hidden, stream_),
        "embed_tokens");
  }
}

}  // namespace clipsearch::cuda
