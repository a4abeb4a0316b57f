// cuda::layer_norm against the CPU's layer_norm (tensor/ops.h) on the widths the towers use.
// Label `gpu`: it skips where no device is present (every development machine so far).
#include "cuda/layer_norm.h"

#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "tensor/ops.h"

namespace clipsearch::cuda {
namespace {

// Device memory holding a copy of `host`, freed on scope exit.
class DeviceBuffer {
 public:
  explicit DeviceBuffer(const std::vector<float>& host) : size_(host.size()) {
    EXPECT_EQ(cudaMalloc(reinterpret_cast<void**>(&data_), size_ * sizeof(float)), cudaSuccess);
    EXPECT_EQ(cudaMemcpy(data_, host.data(), size_ * sizeof(float), cudaMemcpyHostToDevice),
              cudaSuccess);
  }
  ~DeviceBuffer() { cudaFree(data_); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  float* get() const { return data_; }
  std::vector<float> to_host() const {
    std::vector<float> host(size_);
    EXPECT_EQ(cudaMemcpy(host.data(), data_, size_ * sizeof(float), cudaMemcpyDeviceToHost),
              cudaSuccess);
    return host;
  }

 private:
  float* data_ = nullptr;
  size_t size_;
};

bool have_device() {
  int count = 0;
  return cudaGetDeviceCount(&count) == cudaSuccess && count > 0;
}

std::vector<float> random_values(size_t n, float offset, std::mt19937& rng) {
  std::normal_distribution<float> normal(offset, 2.0f);
  std::vector<float> v(n);
  for (float& x : v) x = normal(rng);
  return v;
}

// Widths of CLIP's towers (B/32's 512 and 768, L/14's 1024), a width under one block of threads
// and one that is not a multiple of it; an offset mean to catch a one-pass variance.
TEST(CudaLayerNorm, MatchesTheCpu) {
  if (!have_device()) GTEST_SKIP() << "no CUDA device";
  std::mt19937 rng(16);
  for (int64_t width : {50, 512, 768, 1000, 1024}) {
    const int64_t rows = 37, ld = width + 3;  // a leading dimension wider than the row
    const auto x = random_values(rows * ld, 30.0f, rng);
    const auto gamma = random_values(width, 1.0f, rng), beta = random_values(width, 0.0f, rng);
    std::vector<float> want(rows * ld, 0.0f);
    clipsearch::layer_norm(x.data(), rows, width, ld, gamma.data(), beta.data(), 1e-5f, want.data(),
                           ld);

    DeviceBuffer dx(x), dgamma(gamma), dbeta(beta), dout(std::vector<float>(rows * ld, 0.0f));
    ASSERT_EQ(cuda::layer_norm(dx.get(), rows, width, ld, dgamma.get(), dbeta.get(), 1e-5f,
                               dout.get(), ld, nullptr),
              cudaSuccess);
    ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
    const auto got = dout.to_host();
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t i = 0; i < width; ++i) {
        const float w = want[r * ld + i];
        ASSERT_NEAR(got[r * ld + i], w, 1e-4f * (1.0f + std::fabs(w)))
            << "width " << width << " row " << r << " column " << i;
      }
    }
  }
}

TEST(CudaLayerNorm, InPlaceAndNoRows) {
  if (!have_device()) GTEST_SKIP() << "no CUDA device";
  const std::vector<float> x = {1, 2, 3, 4}, gamma(4, 1.0f), beta(4, 0.0f);
  DeviceBuffer dx(x), dgamma(gamma), dbeta(beta);
  ASSERT_EQ(cuda::layer_norm(dx.get(), 0, 4, 4, dgamma.get(), dbeta.get(), 0, dx.get(), 4, nullptr),
            cudaSuccess);
  ASSERT_EQ(cuda::layer_norm(dx.get(), 1, 4, 4, dgamma.get(), dbeta.get(), 0, dx.get(), 4, nullptr),
            cudaSuccess);
  const auto got = dx.to_host();
  const float rstd = 1.0f / std::sqrt(1.25f);  // mean 2.5, variance 1.25
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(got[i], (x[i] - 2.5f) * rstd, 1e-6f) << i;
}

}  // namespace
}  // namespace clipsearch::cuda
