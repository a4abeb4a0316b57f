// What the CUDA backend's tests share: the backend, opened from the module as the program opens
// it (create_cuda_backend, model/cuda_module.h), the CPU's backend (the reference: every test
// runs one operation on both and compares), random data, and the comparison. The GPU tests skip
// where open_cuda_backend() finds no device.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "model/backend.h"
#include "model/cpu_backend.h"
#include "model/cuda_module.h"

namespace clipsearch::cuda::testing {

// The module's factory as the program loads it (model/cuda_module.h: $CLIPSEARCH_CUDA_MODULE,
// else beside the test, in build/src/cuda), or null with the loader's words in `why`.
inline CudaBackendFactory module_factory(std::string* why) {
  auto factory = load_cuda_module();
  if (!factory.ok()) {
    *why = factory.status().message();
    return nullptr;
  }
  return *factory;
}

// The backend on GPU 0 (create_cuda_backend), or null with the module's reason in `why`.
inline std::unique_ptr<Backend> open_cuda_backend(std::string* why) {
  auto backend = create_cuda_backend(0);
  if (!backend.ok()) {
    *why = backend.status().message();
    return nullptr;
  }
  return std::move(backend).value();
}

// A new backend on GPU 0 for one test, null (the test skips) without a device. New for each:
// weights are keyed by their host address, and a test's freed host memory is the next one's.
inline std::unique_ptr<Backend> new_gpu_backend() {
  std::string why;
  return open_cuda_backend(&why);
}

// The CPU's backend: its memory is the host's, so its operations take host pointers.
inline Backend& cpu_backend() {
  static std::unique_ptr<Backend> backend = make_cpu_backend();
  return *backend;
}

// Declares `cuda` (a new GPU backend, owned by `cuda_backend_owner`) and `cpu`, or skips the
// test.
#define CLIPSEARCH_NEED_GPU()                                                                   \
  std::unique_ptr<Backend> cuda_backend_owner = ::clipsearch::cuda::testing::new_gpu_backend(); \
  if (cuda_backend_owner == nullptr) GTEST_SKIP() << "no CUDA device";                          \
  [[maybe_unused]] Backend& cuda = *cuda_backend_owner;                                         \
  [[maybe_unused]] Backend& cpu = ::clipsearch::cuda::testing::cpu_backend()

inline std::vector<float> random_values(size_t n, float mean, float stddev, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(mean, stddev);
  std::vector<float> v(n);
  for (float& x : v) x = normal(rng);
  return v;
}

// `floats` device floats of `backend` back on the host (waits for the queued operations).
inline std::vector<float> host_copy(Backend& backend, const float* device, size_t floats) {
  std::vector<float> host(floats);
  backend.to_host(device, static_cast<int64_t>(floats), host.data());
  return host;
}

// Every element of `got` within abs + rel * |want| of `want`.
inline void expect_near(const std::vector<float>& got, const std::vector<float>& want, float abs,
                        float rel, const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_NEAR(got[i], want[i], abs + rel * std::fabs(want[i])) << what << ", element " << i;
  }
}

}  // namespace clipsearch::cuda::testing
