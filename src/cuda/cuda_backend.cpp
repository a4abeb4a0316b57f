// CudaBackend's life: finding the device (with the reason when there is none), the stream, the
// cuBLAS handle and the event it is made of, and their release.
#include "cuda/cuda_backend.h"

#include <cmath>
#include <string>

namespace clipsearch::cuda {

namespace {

std::string version(int v) {
  return std::to_string(v / 1000) + "." + std::to_string(v % 1000 / 10);
}

// Why cudaGetDeviceCount failed, in words a user can act on.
Status no_devices(cudaError_t error, int device) {
  const std::string name = "cuda:" + std::to_string(device) + ": ";
  int driver = 0;
  cudaDriverGetVersion(&driver);
  cudaGetLastError();
  if (driver == 0) {
    return Status::unavailable(
        name + "no NVIDIA driver (libcuda.so.1 not found): " + cudaGetErrorString(error));
  }
  if (error == cudaErrorInsufficientDriver) {
    return Status::unavailable(name + "the NVIDIA driver (CUDA " + version(driver) +
                               ") is older than the CUDA runtime this engine was built with (" +
                               version(CUDART_VERSION) + "): update the driver");
  }
  if (error == cudaErrorNoDevice)
    return Status::unavailable(name + "no CUDA device on this machine");
  return Status::unavailable(name + "cudaGetDeviceCount: " + cudaGetErrorString(error));
}

// "cuda:N (<name>, <GiB> GiB)".
std::string describe(int device, const cudaDeviceProp& p) {
  const double gib = static_cast<double>(p.totalGlobalMem) / (1024.0 * 1024.0 * 1024.0);
  return "cuda:" + std::to_string(device) + " (" + p.name + ", " +
         std::to_string(std::llround(gib)) + " GiB)";
}

}  // namespace

Result<std::unique_ptr<CudaBackend>> CudaBackend::create(int device) {
  int count = 0;
  const cudaError_t error = cudaGetDeviceCount(&count);
  if (error != cudaSuccess) return no_devices(error, device);
  if (device < 0 || device >= count) {
    return Status::unavailable("cuda:" + std::to_string(device) + ": no CUDA device " +
                               std::to_string(device) + " (this machine has " +
                               std::to_string(count) + ", numbered from 0)");
  }
  cudaDeviceProp props{};
  if (cudaGetDeviceProperties(&props, device) != cudaSuccess) props = cudaDeviceProp{};
  std::unique_ptr<CudaBackend> backend(new CudaBackend(device, describe(device, props)));
  if (backend->ready() &&
      backend->check(cudaStreamCreateWithFlags(&backend->stream_, cudaStreamNonBlocking),
                     "cudaStreamCreateWithFlags") &&
      backend->check(cudaEventCreateWithFlags(&backend->staging_free_, cudaEventDisableTiming),
                     "cudaEventCreateWithFlags") &&
      backend->check_cublas(cublasCreate(&backend->cublas_), "cublasCreate")) {
    backend->check_cublas(cublasSetStream(backend->cublas_, backend->stream_), "cublasSetStream");
  }
  if (!backend->status().ok()) return backend->status();
  return backend;
}

CudaBackend::CudaBackend(int device, std::string description)
    : device_(device), description_(std::move(description)) {}

CudaBackend::~CudaBackend() {
  cudaSetDevice(device_);
  if (stream_ != nullptr) cudaStreamSynchronize(stream_);
  if (cublas_ != nullptr) cublasDestroy(cublas_);
  if (staging_free_ != nullptr) cudaEventDestroy(staging_free_);
  // The memory members free themselves after this body; the stream has nothing queued left.
  if (stream_ != nullptr) cudaStreamDestroy(stream_);
}

}  // namespace clipsearch::cuda
