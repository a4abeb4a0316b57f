// Where Model::load runs a model: the request (ModelOptions::device), what the machine offers
// (CudaProbe) and what this build can run, in one pure function (docs/ARCHITECTURE.md,
// "Devices").
#pragma once

#include <functional>
#include <string>

#include "clipsearch/model.h"
#include "clipsearch/status.h"
#include "core/cuda_probe.h"

namespace clipsearch {

// Whether the CUDA engine can run here: OK, or why not (cuda_module.h's load_cuda_module:
// this build has none, its libraries do not load). Asked only once the probe found a GPU.
using CudaEngineCheck = std::function<Status()>;

// Where select_device puts a model, and, when `auto` found a GPU it could not use, why (a line
// for the user; empty otherwise).
struct DeviceChoice {
  Device device;
  std::string note;
};

// The device a model runs on: kCpu, or kCuda with the GPU's number; never kAuto.
//   kAuto  kCuda 0 when the probe finds a GPU and `engine` is OK, else kCpu: silently where the
//          probe finds none (the engine is then never asked), with `note` saying why where it
//          found one
//   kCpu   kCpu (nothing probed)
//   kCuda  kCuda `index` when the probe finds it and `engine` is OK; else kUnsupported saying
//          why: no runtime library, the runtime's error (no driver, ...), no device N (of how
//          many), the engine's reason
// A negative index, an index with kAuto/kCpu, or an unknown kind: kInvalidArgument /
// kUnsupported naming it.
Result<DeviceChoice> select_device(const Device& requested, const CudaProbe& probe,
                                   const CudaEngineCheck& engine);

}  // namespace clipsearch
