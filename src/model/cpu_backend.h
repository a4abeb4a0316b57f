// CpuBackend: the Backend (backend.h) of the CPU, the engine's operations on the thread pool in
// host memory: tensor/ops.h, tensor/weight_linear.h (every precision's products) and the
// attention of encoder.cpp. Never fails.
#pragma once

#include <memory>

#include "model/backend.h"

namespace clipsearch {

std::unique_ptr<Backend> make_cpu_backend();

}  // namespace clipsearch
