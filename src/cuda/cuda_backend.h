// CudaBackend: the Backend (model/backend.h) of one NVIDIA GPU, the class behind the module's
// entry (module_entry.cpp, model/cuda_module.h). One stream and one cuBLAS handle: every
// operation is queued on the stream in the caller's order and only to_host() waits.
//
// Weights: prepare() uploads each once, keyed by its host address (the WeightMatrix, or the
// `const float*` of a bias or a layer norm's vector). Matrices are kept 16-bit [out, in]: BF16
// when the host holds BF16, else F16 (float32 converted, kInOut transposed; int8 dequantized
// with its scales; F16 as is). linear() converts its activations to the weight's type in a
// scratch buffer and multiplies with cublasGemmEx: 16-bit inputs, F32 accumulation and output.
//
// Errors: the first CUDA or cuBLAS failure becomes status() and every later operation does
// nothing until reset_status() (backend.h, "Errors"). Not thread-safe: one caller at a time (a
// Model's passes are serialized); each operation makes the backend's device current on the
// calling thread.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <array>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "cuda/device_memory.h"
#include "cuda/half_types.h"
#include "model/backend.h"

namespace clipsearch::cuda {

// A matrix as the device holds it: [out, in] 16-bit values.
struct DeviceMatrix {
  DeviceMemory data;
  HalfType type = HalfType::kF16;
  int64_t out = 0, in = 0;
};

// A bias or a layer norm's vector as the device holds it: float32.
struct DeviceVector {
  DeviceMemory data;
  int64_t count = 0;
};

class CudaBackend final : public Backend {
 public:
  // A backend on GPU `device`: kUnavailable naming the reason (no driver, a driver too old for
  // this runtime, no device `device`, out of memory creating the stream or the cuBLAS handle).
  static Result<std::unique_ptr<CudaBackend>> create(int device);
  ~CudaBackend() override;
  CudaBackend(const CudaBackend&) = delete;
  CudaBackend& operator=(const CudaBackend&) = delete;

  std::string description() const override { return description_; }
  Status status() const override { return status_; }
  void reset_status() override { status_ = Status(); }

  Status prepare(const WeightMatrix& w, const HostMatrix& values) override;
  Status prepare(const float* host, int64_t count) override;

  float* buffer(Buffer which, int64_t floats) override;
  const float* to_backend(const float* host, int64_t floats, Buffer which) override;
  void to_host(const float* data, int64_t floats, float* host) override;

  void linear(int64_t rows, const float* x, int64_t in, const WeightMatrix& w, float beta, float* y,
              int64_t ldy) override;
  void linear_blocks(int64_t blocks, int64_t rows, const float* x, int64_t x_stride, int64_t in,
                     const WeightMatrix& w, float beta, float* y, int64_t y_stride,
                     int64_t ldy) override;
  void fill_rows(float* y, int64_t rows, int64_t cols, int64_t ldy, const float* values) override;
  void bias_activation(float* x, int64_t rows, int64_t cols, int64_t ld, const float* bias,
                       Activation act) override;
  void layer_norm(const float* x, int64_t rows, int64_t width, int64_t ldx, const float* gamma,
                  const float* beta, float eps, float* out, int64_t ldout) override;
  void add_residual(float* x, int64_t rows, int64_t width, int64_t ldx, const float* y, int64_t ldy,
                    const float* bias) override;
  void attention(const AttentionShape& shape, const float* qkv, float* context) override;
  void attention_rows(const AttentionShape& shape, const int64_t* query_rows, const float* qkv,
                      float* context) override;
  void gather_rows(const float* src, int64_t ld, const int64_t* rows, int64_t count, int64_t width,
                   float* dst) override;
  void scatter_rows(const float* src, const int64_t* rows, int64_t count, int64_t width, float* dst,
                    int64_t ld) override;
  void unfold_patches(const float* pixels, int64_t images, int64_t channels, int64_t size,
                      int64_t patch, float* patches) override;
  void position_rows(float* hidden, int64_t images, int64_t tokens, int64_t width,
                     const float* class_embedding, const float* positions) override;
  void embed_tokens(const WeightMatrix& table, const int32_t* ids, const int64_t* position,
                    int64_t rows, const float* positions, int64_t width, float* hidden) override;

 private:
  CudaBackend(int device, std::string description);

  // Errors (cuda_backend_errors.cpp). ready(): no failure recorded, and the device made current.
  bool ready();
  // Records the first failure; later ones are consequences of it.
  void fail(Status status);
  // True for cudaSuccess; else records "cuda:N: <call>: <CUDA's words>" (out of memory:
  // kUnavailable) and returns false.
  bool check(cudaError_t error, const char* call);
  bool check_cublas(cublasStatus_t status, const char* call);
  std::string prefix() const;  // "cuda:N"

  // Memory (cuda_backend_memory.cpp). grow(): `buffer` holds at least `bytes`, else records
  // out of memory naming `what` and returns false.
  bool grow(DeviceBuffer& buffer, size_t bytes, const char* what);
  bool grow_pinned(size_t bytes);
  // Copies `bytes` host bytes to `device` through the pinned staging buffer.
  bool upload(const void* host, size_t bytes, void* device);
  // `values` (host int64) in device memory, valid for the operations queued next.
  const int64_t* upload_indices(const std::vector<int64_t>& values);

  // Weights (cuda_backend_weights.cpp): the device copy of a prepared weight, or null after
  // recording kInternal naming `op` (a weight that was never prepared is a bug in the caller).
  const DeviceMatrix* matrix(const WeightMatrix& w, const char* op);
  // The same for a vector of at least `count` floats; null in, null out.
  const float* vector(const float* host, int64_t count, const char* op);
  Status prepare_matrix(const HostMatrix& values, DeviceMatrix& m);

  // cuBLAS's product for `blocks` blocks (linear() is one block): cuda_backend_linear.cpp.
  void gemm_blocks(int64_t blocks, int64_t rows, const float* x, int64_t x_stride, int64_t in,
                   const WeightMatrix& w, float beta, float* y, int64_t y_stride, int64_t ldy,
                   const char* op);

  // Attention (cuda_backend_attention.cpp): the equal-length case on cuBLAS, the rest fused.
  void attention_equal_lengths(const AttentionShape& shape, const float* qkv, float* context);
  // query_rows_attention over the queries listed in host_indices_ (4 int64 each).
  void attention_by_query(const AttentionShape& shape, const float* qkv, float* context);

  int device_;
  std::string description_;
  Status status_;
  cudaStream_t stream_ = nullptr;
  cublasHandle_t cublas_ = nullptr;
  cudaEvent_t staging_free_ = nullptr;  // recorded after each copy out of pinned_

  std::array<DeviceBuffer, static_cast<size_t>(Buffer::kCount)> buffers_;
  DeviceBuffer activations_half_;  // linear's x in the weight's 16-bit type
  DeviceBuffer scores_;            // attention: [sequences, length, length] of one head
  DeviceBuffer indices_;           // index lists of the operation being queued
  DeviceBuffer weight_staging_;    // prepare(): a weight as the host holds it
  PinnedBuffer pinned_;
  std::vector<int64_t> host_indices_;

  std::unordered_map<const WeightMatrix*, DeviceMatrix> matrices_;
  std::unordered_map<const float*, DeviceVector> vectors_;
};

}  // namespace clipsearch::cuda
