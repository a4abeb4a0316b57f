// The CUDA engine's module: libclipsearch_cuda.so, built by -DCLIPSEARCH_CUDA=ON (src/cuda),
// loaded with dlopen by Model::load only when a model is to run on a GPU, so that the binary
// links no CUDA library and runs the same where there is none (docs/ARCHITECTURE.md, "Devices").
//
// The module exports one C function, kCudaModuleEntry, of type CudaBackendFactory: a Backend
// (backend.h) on GPU `device`, or null with the reason in `error`. The module and the binary are
// built from one tree; kCudaModuleAbi changes whenever Backend or this entry changes, and a
// module of another ABI is refused by name.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "clipsearch/status.h"
#include "model/backend.h"

namespace clipsearch {

inline constexpr int kCudaModuleAbi = 1;
inline constexpr const char* kCudaModuleEntry = "clipsearch_cuda_create_backend";
inline constexpr const char* kCudaModuleFile = "libclipsearch_cuda.so";

// Returns a new Backend (the caller deletes it), or null with a message in error[error_size].
// `abi`: the caller's kCudaModuleAbi; the module refuses another.
using CudaBackendFactory = Backend* (*)(int abi, int device, char* error, size_t error_size);

// The module, found and loaded once per process: $CLIPSEARCH_CUDA_MODULE if set (a file path),
// else kCudaModuleFile beside the executable, in ../cuda (the build tree) and ../lib (an
// install), then the dynamic linker's search path. Errors: kNotFound naming where it looked
// (the build has no CUDA engine), kUnsupported for a module that does not load (its libraries
// missing: dlerror's words) or of another ABI.
Result<CudaBackendFactory> load_cuda_module();

// The first of `candidates` (paths, or a bare file name for the linker's search path) that
// loads, uncached: load_cuda_module's search, for tests.
Result<CudaBackendFactory> open_cuda_module(const std::vector<std::string>& candidates);

// A backend on GPU `device` from the module: kUnavailable with the module's reason (no device,
// out of memory, a driver too old).
Result<std::unique_ptr<Backend>> create_cuda_backend(int device);

}  // namespace clipsearch
