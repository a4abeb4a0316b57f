// Where Model::load runs a model: the request (ModelOptions::device), what the machine offers
// (CudaProbe) and what this build can run, in one pure function (docs/ARCHITECTURE.md,
// "Devices").
#pragma once

#include "clipsearch/model.h"
#include "clipsearch/status.h"
#include "core/cuda_probe.h"

namespace clipsearch {

// Whether this build holds a CUDA engine (the towers' operations on a GPU). Not yet: issue 16.
inline constexpr bool kCudaEngineBuilt = false;

// The device a model runs on: kCpu, or kCuda with the GPU's number; never kAuto.
//   kAuto  kCuda 0 when cuda_engine_built and the probe finds a GPU, else kCpu. Without an
//          engine the probe is not called, so `auto` costs nothing where it cannot pick a GPU.
//   kCpu   kCpu
//   kCuda  kCuda `index` when the probe finds it and cuda_engine_built; else kUnsupported saying
//          why: no runtime library, the runtime's error (no driver, ...), no device N, no engine
// A negative index, an index with kAuto/kCpu, or an unknown kind: kInvalidArgument /
// kUnsupported naming it.
Result<Device> select_device(const Device& requested, const CudaProbe& probe,
                             bool cuda_engine_built);

}  // namespace clipsearch
