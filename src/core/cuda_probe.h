// What this machine offers for CUDA, found at run time without linking any CUDA library: the
// binary runs the same where the NVIDIA driver or the toolkit is missing (docs/ARCHITECTURE.md,
// "Devices"). Behind an interface so that tests can fake every machine.
#pragma once

#include <string>

namespace clipsearch {

struct CudaAvailability {
  enum class State {
    kNoRuntime,     // no CUDA runtime library (libcudart) could be loaded
    kRuntimeError,  // the runtime loaded but cannot reach a GPU: no driver, a driver too old, ...
    kReady,         // the runtime works; device_count GPUs (0 is possible)
  };
  State state = State::kNoRuntime;
  int device_count = 0;
  std::string detail;  // kNoRuntime: the libraries tried; kRuntimeError: the runtime's words
};

class CudaProbe {
 public:
  virtual ~CudaProbe() = default;
  virtual CudaAvailability probe() const = 0;
};

// The real machine: dlopen libcudart.so.13 (then .so.12, .so), cudaGetDeviceCount through dlsym.
// Probed once per process, on first use; thread-safe.
const CudaProbe& system_cuda_probe();

}  // namespace clipsearch
