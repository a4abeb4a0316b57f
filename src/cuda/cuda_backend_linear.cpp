// linear and linear_blocks: the activations converted to the weight's 16-bit type, then one
// cuBLAS product with F32 accumulation and an F32 output.
//
// Row-major to cuBLAS's column-major: y [rows, ldy] = x [rows, in] W^T is, column-major,
// y^T (out x rows, ld ldy) = W^T' x^T', where W [out, in] row-major is a column-major in x out
// matrix (transposed: CUBLAS_OP_T) and x a column-major in x rows one (CUBLAS_OP_N).
#include <cuda_runtime_api.h>

#include "cuda/cuda_backend.h"

namespace clipsearch::cuda {

namespace {

cudaDataType data_type(HalfType type) { return type == HalfType::kBF16 ? CUDA_R_16BF : CUDA_R_16F; }

}  // namespace

void CudaBackend::linear(int64_t rows, const float* x, int64_t in, const WeightMatrix& w,
                         float beta, float* y, int64_t ldy) {
  gemm_blocks(1, rows, x, rows * in, in, w, beta, y, 0, ldy, "linear");
}

void CudaBackend::linear_blocks(int64_t blocks, int64_t rows, const float* x, int64_t x_stride,
                                int64_t in, const WeightMatrix& w, float beta, float* y,
                                int64_t y_stride, int64_t ldy) {
  gemm_blocks(blocks, rows, x, x_stride, in, w, beta, y, y_stride, ldy, "linear_blocks");
}

void CudaBackend::gemm_blocks(int64_t blocks, int64_t rows, const float* x, int64_t x_stride,
                              int64_t in, const WeightMatrix& w, float beta, float* y,
                              int64_t y_stride, int64_t ldy, const char* op) {
  if (!ready()) return;
  const DeviceMatrix* m = matrix(w, op);
  if (m == nullptr || blocks * rows == 0) return;
  if (m->in != in) {
    fail(Status::error(prefix() + ": " + op + ": x has " + std::to_string(in) +
                       " columns, the weight [" + std::to_string(m->out) + ", " +
                       std::to_string(m->in) + "]"));
    return;
  }
  const int64_t block_floats = rows * in;
  if (!grow(activations_half_, static_cast<size_t>(blocks * block_floats) * sizeof(uint16_t),
            "the activations in 16 bits")) {
    return;
  }
  void* x_half = activations_half_.data();  // [blocks, rows, in]
  if (!check(to_half_blocks(x, blocks, block_floats, x_stride, m->type, x_half, stream_),
             "to_half_blocks")) {
    return;
  }
  const float alpha = 1.0f;
  const cudaDataType type = data_type(m->type);
  const auto out = static_cast<int>(m->out), n = static_cast<int>(rows), k = static_cast<int>(in);
  if (blocks == 1) {
    check_cublas(cublasGemmEx(cublas_, CUBLAS_OP_T, CUBLAS_OP_N, out, n, k, &alpha, m->data.get(),
                              type, k, x_half, type, k, &beta, y, CUDA_R_32F, static_cast<int>(ldy),
                              CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
                 "cublasGemmEx");
    return;
  }
  check_cublas(cublasGemmStridedBatchedEx(
                   cublas_, CUBLAS_OP_T, CUBLAS_OP_N, out, n, k, &alpha, m->data.get(), type, k, 0,
                   x_half, type, k, block_floats, &beta, y, CUDA_R_32F, static_cast<int>(ldy),
                   y_stride, static_cast<int>(blocks), CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
               "cublasGemmStridedBatchedEx");
}

}  // namespace clipsearch::cuda
