// The module as the program meets it: its one export, the ABI check, and on a machine without a
// GPU (every development machine here) the reason it gives; with a GPU, a backend that names its
// device and reports its errors as backend.h says (sticky, by name, cleared by reset_status).
// Runs everywhere: nothing here skips.
#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include <string>

#include "cuda/cuda_backend_test_util.h"
#include "tensor/weight_matrix.h"

namespace clipsearch::cuda::testing {
namespace {

bool have_device() {
  int count = 0;
  return cudaGetDeviceCount(&count) == cudaSuccess && count > 0;
}

TEST(CudaModule, ExportsTheFactory) {
  std::string why;
  EXPECT_NE(module_factory(&why), nullptr) << why;
}

TEST(CudaModule, RefusesAnotherAbiNamingBoth) {
  std::string why;
  CudaBackendFactory factory = module_factory(&why);
  ASSERT_NE(factory, nullptr) << why;
  char error[512] = {};
  EXPECT_EQ(factory(kCudaModuleAbi + 1, 0, error, sizeof error), nullptr);
  const std::string message = error;
  EXPECT_NE(message.find("ABI " + std::to_string(kCudaModuleAbi)), std::string::npos) << message;
  EXPECT_NE(message.find("ABI " + std::to_string(kCudaModuleAbi + 1)), std::string::npos)
      << message;
}

TEST(CudaModule, ABackendOrTheReasonThereIsNone) {
  std::string why;
  const auto backend = open_cuda_backend(&why);
  if (!have_device()) {
    ASSERT_EQ(backend, nullptr);
    // No driver here, or a driver and no device: either way the message says which.
    EXPECT_EQ(why.rfind("cuda:0: ", 0), 0u) << why;
    EXPECT_TRUE(why.find("driver") != std::string::npos ||
                why.find("no CUDA device") != std::string::npos)
        << why;
    return;
  }
  ASSERT_NE(backend, nullptr) << why;
  const std::string d = backend->description();
  EXPECT_EQ(d.rfind("cuda:0 (", 0), 0u) << d;
  EXPECT_NE(d.find(" GiB)"), std::string::npos) << d;
}

TEST(CudaModule, NoDeviceOfThatNumber) {
  std::string why;
  CudaBackendFactory factory = module_factory(&why);
  ASSERT_NE(factory, nullptr) << why;
  char error[512] = {};
  EXPECT_EQ(factory(kCudaModuleAbi, 999, error, sizeof error), nullptr);
  const std::string message = error;
  EXPECT_EQ(message.rfind("cuda:999: ", 0), 0u) << message;
  if (have_device()) {
    EXPECT_NE(message.find("no CUDA device 999"), std::string::npos) << message;
  }
}

// The GPU's part: errors. Without a device there is no backend to ask.
TEST(CudaModule, AWeightNeverPreparedIsAnInternalErrorAndSticks) {
  if (!have_device()) return;  // ABackendOrTheReasonThereIsNone covered this machine
  std::string why;
  auto backend = open_cuda_backend(&why);
  ASSERT_NE(backend, nullptr) << why;
  const std::vector<float> f32(16 * 8, 0.5f), x(4 * 8, 1.0f);
  const WeightMatrix w = WeightMatrix::f32(f32.data(), 16, 8, WeightLayout::kOutIn);
  const float* dx = backend->to_backend(x.data(), x.size(), Buffer::kNormed);
  float* dy = backend->buffer(Buffer::kBranch, 4 * 16);
  backend->linear(4, dx, 8, w, 0.0f, dy, 16);
  EXPECT_EQ(backend->status().code(), StatusCode::kInternal);
  EXPECT_NE(backend->status().message().find("never uploaded"), std::string::npos)
      << backend->status().message();
  // Sticky: a later failure does not replace the first, and copies do nothing.
  backend->layer_norm(dx, 4, 8, 8, x.data(), x.data(), 1e-5f, dy, 16);
  EXPECT_NE(backend->status().message().find("linear"), std::string::npos);
  std::vector<float> host(4, -7.0f);
  backend->to_host(dx, 4, host.data());
  EXPECT_EQ(host, std::vector<float>(4, -7.0f));
  // reset_status(): the backend works again.
  backend->reset_status();
  ASSERT_TRUE(backend->prepare(w, host_matrix(w)).ok());
  backend->linear(4, dx, 8, w, 0.0f, dy, 16);
  std::vector<float> y(4 * 16);
  backend->to_host(dy, y.size(), y.data());
  ASSERT_TRUE(backend->status().ok()) << backend->status().message();
  for (float v : y) EXPECT_EQ(v, 4.0f);  // 8 x 1 x 0.5, exact in F16
}

TEST(CudaModule, OutOfDeviceMemoryNamesTheBufferAndRecovers) {
  if (!have_device()) return;
  std::string why;
  auto backend = open_cuda_backend(&why);
  ASSERT_NE(backend, nullptr) << why;
  backend->buffer(Buffer::kHidden, int64_t{1} << 40);  // 4 TiB
  EXPECT_EQ(backend->status().code(), StatusCode::kUnavailable);
  EXPECT_NE(backend->status().message().find("out of device memory allocating"), std::string::npos)
      << backend->status().message();
  EXPECT_NE(backend->status().message().find("the hidden rows"), std::string::npos);
  backend->reset_status();
  const std::vector<float> x = {1, 2, 3};
  const float* dx = backend->to_backend(x.data(), 3, Buffer::kHidden);
  std::vector<float> back(3);
  backend->to_host(dx, 3, back.data());
  EXPECT_TRUE(backend->status().ok()) << backend->status().message();
  EXPECT_EQ(back, x);
}

TEST(CudaModule, AWeightHeldOnlyPackedIsRefusedByName) {
  if (!have_device()) return;
  std::string why;
  auto backend = open_cuda_backend(&why);
  ASSERT_NE(backend, nullptr) << why;
  WeightMatrix w;
  HostMatrix packed;
  packed.type = WeightType::kInt8;
  packed.out = 4;
  packed.in = 4;
  const Status s = backend->prepare(w, packed);
  EXPECT_EQ(s.code(), StatusCode::kUnsupported);
  EXPECT_NE(s.message().find("packed for the CPU"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace clipsearch::cuda::testing
