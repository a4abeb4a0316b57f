// Memory the CUDA backend owns: device allocations (weights, scratch buffers grown on demand and
// never shrunk) and pinned host staging for the copies to and from the device. Each allocation
// is freed with its owner. Not thread-safe: one backend, one caller at a time.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <memory>

namespace clipsearch::cuda {

struct DeviceFree {
  void operator()(void* p) const { cudaFree(p); }
};
struct PinnedFree {
  void operator()(void* p) const { cudaFreeHost(p); }
};
using DeviceMemory = std::unique_ptr<void, DeviceFree>;
using PinnedMemory = std::unique_ptr<void, PinnedFree>;

// A device or pinned host allocation of at least the largest size asked so far.
template <class Memory>
class GrownBuffer {
 public:
  void* data() const { return memory_.get(); }
  size_t bytes() const { return bytes_; }
  bool fits(size_t bytes) const { return bytes <= bytes_; }
  // Replaces the allocation by `memory` of `bytes` (the caller allocated it, after making sure
  // that nothing queued still uses the old one).
  void replace(Memory memory, size_t bytes) {
    memory_ = std::move(memory);
    bytes_ = bytes;
  }
  void release() { replace(Memory(), 0); }
  // The allocation, handed over: the buffer is empty afterwards.
  Memory take() {
    bytes_ = 0;
    return std::move(memory_);
  }

 private:
  Memory memory_;
  size_t bytes_ = 0;
};

using DeviceBuffer = GrownBuffer<DeviceMemory>;
using PinnedBuffer = GrownBuffer<PinnedMemory>;

// The size to allocate when `wanted` bytes do not fit in `current`: at least half as much again,
// so that a pass of slowly growing batches reallocates a few times, not every pass.
inline size_t grown_size(size_t current, size_t wanted) {
  const size_t half_again = current + current / 2;
  return wanted > half_again ? wanted : half_again;
}

}  // namespace clipsearch::cuda
