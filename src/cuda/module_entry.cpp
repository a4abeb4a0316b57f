// The module's one export (model/cuda_module.h): a CudaBackend on GPU `device`, or null with the
// reason in `error`. The only symbol with default visibility: everything else in the module is
// hidden, so that nothing in it can be mistaken for the binary's own copy of it.
#include <cstdio>
#include <exception>
#include <string>
#include <type_traits>

#include "cuda/cuda_backend.h"
#include "model/cuda_module.h"

namespace {

void write_error(const std::string& message, char* error, size_t error_size) {
  if (error != nullptr && error_size > 0) std::snprintf(error, error_size, "%s", message.c_str());
}

}  // namespace

extern "C" __attribute__((visibility("default"))) clipsearch::Backend*
clipsearch_cuda_create_backend(int abi, int device, char* error, size_t error_size) {
  if (abi != clipsearch::kCudaModuleAbi) {
    write_error("libclipsearch_cuda.so is of module ABI " +
                    std::to_string(clipsearch::kCudaModuleAbi) + ", the program of ABI " +
                    std::to_string(abi) + ": rebuild them from one source tree",
                error, error_size);
    return nullptr;
  }
  try {  // no exception crosses the C boundary
    auto backend = clipsearch::cuda::CudaBackend::create(device);
    if (!backend.ok()) {
      write_error(backend.status().message(), error, error_size);
      return nullptr;
    }
    return std::move(backend).value().release();
  } catch (const std::exception& e) {
    write_error(std::string("cuda:") + std::to_string(device) + ": " + e.what(), error, error_size);
    return nullptr;
  }
}

static_assert(
    std::is_same_v<decltype(&clipsearch_cuda_create_backend), clipsearch::CudaBackendFactory>,
    "the entry's type is model/cuda_module.h's CudaBackendFactory");
