// The CUDA backend's sticky errors: the first failure is kept, with the device and the call
// that failed; everything after it is a consequence and is dropped.
#include <string>

#include "cuda/cuda_backend.h"

namespace clipsearch::cuda {

std::string CudaBackend::prefix() const { return "cuda:" + std::to_string(device_); }

void CudaBackend::fail(Status status) {
  if (status_.ok()) status_ = std::move(status);
}

bool CudaBackend::ready() { return status_.ok() && check(cudaSetDevice(device_), "cudaSetDevice"); }

bool CudaBackend::check(cudaError_t error, const char* call) {
  if (error == cudaSuccess) return true;
  cudaGetLastError();  // clears a non-sticky error so that reset_status() can recover from it
  const std::string message = prefix() + ": " + call + ": " + cudaGetErrorString(error);
  fail(error == cudaErrorMemoryAllocation ? Status::unavailable(message) : Status::error(message));
  return false;
}

bool CudaBackend::check_cublas(cublasStatus_t status, const char* call) {
  if (status == CUBLAS_STATUS_SUCCESS) return true;
  const std::string message = prefix() + ": " + call + ": " + cublasGetStatusString(status);
  fail(status == CUBLAS_STATUS_ALLOC_FAILED
           ? Status::unavailable(prefix() + ": out of device memory in " + call)
           : Status::error(message));
  return false;
}

}  // namespace clipsearch::cuda
