// What the CUDA backend's tests share: the backend, opened from the module as the program opens
// it (dlopen, the entry of model/cuda_module.h), random data, and the comparison of a device
// result with the CPU's. The GPU tests skip where open_cuda_backend() finds no device.
#pragma once

#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "model/backend.h"
#include "model/cuda_module.h"

namespace clipsearch::cuda::testing {

// The module's factory, or null with dlerror()'s words in `why`.
inline CudaBackendFactory module_factory(std::string* why) {
  void* module = dlopen(CLIPSEARCH_CUDA_MODULE_PATH, RTLD_NOW | RTLD_LOCAL);
  if (module == nullptr) {
    *why = dlerror();
    return nullptr;
  }
  auto factory = reinterpret_cast<CudaBackendFactory>(dlsym(module, kCudaModuleEntry));
  if (factory == nullptr) *why = dlerror();
  return factory;
}

// The backend on GPU 0, or null with the module's reason in `why`.
inline std::unique_ptr<Backend> open_cuda_backend(std::string* why) {
  CudaBackendFactory factory = module_factory(why);
  if (factory == nullptr) return nullptr;
  char error[512] = {};
  std::unique_ptr<Backend> backend(factory(kCudaModuleAbi, 0, error, sizeof error));
  if (backend == nullptr) *why = error;
  return backend;
}

// The backend of a GPU test, opened once for the test program; null (the test skips) without a
// device.
inline Backend* gpu() {
  static std::string why;
  static std::unique_ptr<Backend> backend = open_cuda_backend(&why);
  return backend.get();
}

#define CLIPSEARCH_NEED_GPU()                                                          \
  if (::clipsearch::cuda::testing::gpu() == nullptr) GTEST_SKIP() << "no CUDA device"; \
  Backend& cuda = *::clipsearch::cuda::testing::gpu();                                 \
  cuda.reset_status()

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

namespace clipsearch::cuda::testing {

// `w`'s values as backend.h's host_matrix() gives them, for the types a test builds.
inline HostMatrix host_values(const WeightMatrix& w) {
  HostMatrix m;
  m.type = w.type();
  m.layout = w.layout();
  m.out = w.out();
  m.in = w.in();
  switch (w.type()) {
    case WeightType::kF32:
      m.data = w.f32_data();
      break;
    case WeightType::kBF16:
    case WeightType::kF16:
      m.data = w.u16_data();
      break;
    case WeightType::kInt8:
      m.data = w.i8_data();
      m.scales = w.scales();
      break;
  }
  return m;
}

}  // namespace clipsearch::cuda::testing
