// system_cuda_probe: the CUDA runtime opened with dlopen, never linked (cuda_probe.h).
#include "core/cuda_probe.h"

#include <dlfcn.h>

namespace clipsearch {

namespace {

// The runtime API's entry points the probe calls (cuda_runtime_api.h: cudaError_t is an int
// enum, cudaSuccess 0, cudaErrorNoDevice 100).
using GetDeviceCount = int (*)(int*);
using GetErrorString = const char* (*)(int);
constexpr int kCudaSuccess = 0;
constexpr int kCudaErrorNoDevice = 100;

constexpr const char* kRuntimeLibraries[] = {"libcudart.so.13", "libcudart.so.12", "libcudart.so"};

// The first runtime library that loads, kept loaded for the process (nullptr: none).
void* open_runtime() {
  for (const char* name : kRuntimeLibraries) {
    if (void* handle = dlopen(name, RTLD_NOW | RTLD_LOCAL)) return handle;
  }
  return nullptr;
}

CudaAvailability probe_runtime() {
  CudaAvailability result;
  void* runtime = open_runtime();
  if (runtime == nullptr) {
    result.detail =
        "no CUDA runtime library (tried libcudart.so.13, libcudart.so.12, libcudart.so)";
    return result;
  }
  auto count_devices = reinterpret_cast<GetDeviceCount>(dlsym(runtime, "cudaGetDeviceCount"));
  auto error_string = reinterpret_cast<GetErrorString>(dlsym(runtime, "cudaGetErrorString"));
  if (count_devices == nullptr || error_string == nullptr) {
    result.detail = "the CUDA runtime library has no cudaGetDeviceCount";
    return result;
  }
  int count = 0;
  const int error = count_devices(&count);
  if (error == kCudaSuccess || error == kCudaErrorNoDevice) {
    result.state = CudaAvailability::State::kReady;
    result.device_count = error == kCudaSuccess ? count : 0;
    return result;
  }
  result.state = CudaAvailability::State::kRuntimeError;
  result.detail = error_string(error);
  return result;
}

class SystemCudaProbe final : public CudaProbe {
 public:
  CudaAvailability probe() const override {
    static const CudaAvailability availability = probe_runtime();
    return availability;
  }
};

}  // namespace

const CudaProbe& system_cuda_probe() {
  static const SystemCudaProbe probe;
  return probe;
}

}  // namespace clipsearch
