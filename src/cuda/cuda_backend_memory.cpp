// The CUDA backend's memory: scratch buffers grown on demand (never shrunk), pinned staging for
// the host's copies, and index lists uploaded for one operation.
#include <cstring>
#include <string>

#include "cuda/cuda_backend.h"

namespace clipsearch::cuda {

namespace {

constexpr double kMiB = 1024.0 * 1024.0;

std::string mib(size_t bytes) { return std::to_string(static_cast<int64_t>(bytes / kMiB + 0.5)); }

// What each scratch buffer holds, for an out-of-memory message.
const char* buffer_name(Buffer which) {
  switch (which) {
    case Buffer::kInput:
      return "the input pixels";
    case Buffer::kPatches:
      return "the unfolded patches";
    case Buffer::kHidden:
      return "the hidden rows";
    case Buffer::kNormed:
      return "the layer norm's rows";
    case Buffer::kQkv:
      return "the attention's q, k, v";
    case Buffer::kContext:
      return "the attention's output";
    case Buffer::kMlp:
      return "the MLP's hidden rows";
    case Buffer::kBranch:
      return "the branch rows";
    case Buffer::kPooled:
      return "the pooled rows";
    case Buffer::kOutput:
      return "the embeddings";
    case Buffer::kCount:
      break;
  }
  return "a buffer";
}

}  // namespace

bool CudaBackend::grow(DeviceBuffer& buffer, size_t bytes, const char* what) {
  if (buffer.fits(bytes)) return true;
  // Operations queued on the stream may still read the old allocation.
  if (!check(cudaStreamSynchronize(stream_), "cudaStreamSynchronize")) return false;
  size_t size = grown_size(buffer.bytes(), bytes);
  buffer.release();
  void* p = nullptr;
  cudaError_t error = cudaMalloc(&p, size);
  if (error == cudaErrorMemoryAllocation && size > bytes) {  // the margin did not fit: no margin
    cudaGetLastError();
    size = bytes;
    error = cudaMalloc(&p, size);
  }
  if (error == cudaErrorMemoryAllocation) {
    cudaGetLastError();
    fail(Status::unavailable(prefix() + ": out of device memory allocating " + mib(size) +
                             " MiB for " + what));
    return false;
  }
  if (!check(error, "cudaMalloc")) return false;
  buffer.replace(DeviceMemory(p), size);
  return true;
}

bool CudaBackend::grow_pinned(size_t bytes) {
  if (pinned_.fits(bytes)) return true;
  if (!check(cudaStreamSynchronize(stream_), "cudaStreamSynchronize")) return false;
  const size_t size = grown_size(pinned_.bytes(), bytes);
  pinned_.release();
  void* p = nullptr;
  const cudaError_t error = cudaMallocHost(&p, size);
  if (error == cudaErrorMemoryAllocation) {
    cudaGetLastError();
    fail(Status::unavailable(prefix() + ": out of pinned host memory allocating " + mib(size) +
                             " MiB for the copies to the device"));
    return false;
  }
  if (!check(error, "cudaMallocHost")) return false;
  pinned_.replace(PinnedMemory(p), size);
  return true;
}

bool CudaBackend::upload(const void* host, size_t bytes, void* device) {
  if (bytes == 0) return true;
  // The previous copy out of the staging buffer must have read it before it is overwritten.
  if (!grow_pinned(bytes) || !check(cudaEventSynchronize(staging_free_), "cudaEventSynchronize")) {
    return false;
  }
  std::memcpy(pinned_.data(), host, bytes);
  return check(cudaMemcpyAsync(device, pinned_.data(), bytes, cudaMemcpyHostToDevice, stream_),
               "cudaMemcpyAsync (to the device)") &&
         check(cudaEventRecord(staging_free_, stream_), "cudaEventRecord");
}

const int64_t* CudaBackend::upload_indices(const std::vector<int64_t>& values) {
  const size_t bytes = values.size() * sizeof(int64_t);
  if (!grow(indices_, bytes, "index lists")) return nullptr;
  // From pageable memory: cudaMemcpyAsync has staged the values when it returns, so `values`
  // may change at once; the copy itself is ordered after the operations queued before it.
  if (bytes != 0 && !check(cudaMemcpyAsync(indices_.data(), values.data(), bytes,
                                           cudaMemcpyHostToDevice, stream_),
                           "cudaMemcpyAsync (index list)")) {
    return nullptr;
  }
  return static_cast<const int64_t*>(indices_.data());
}

float* CudaBackend::buffer(Buffer which, int64_t floats) {
  DeviceBuffer& b = buffers_[static_cast<size_t>(which)];
  if (ready()) grow(b, static_cast<size_t>(floats) * sizeof(float), buffer_name(which));
  return static_cast<float*>(b.data());
}

const float* CudaBackend::to_backend(const float* host, int64_t floats, Buffer which) {
  float* device = buffer(which, floats);
  if (ready()) upload(host, static_cast<size_t>(floats) * sizeof(float), device);
  return device;
}

void CudaBackend::to_host(const float* data, int64_t floats, float* host) {
  if (!ready()) return;
  const size_t bytes = static_cast<size_t>(floats) * sizeof(float);
  if (!grow_pinned(bytes) || !check(cudaEventSynchronize(staging_free_), "cudaEventSynchronize")) {
    return;
  }
  if (bytes != 0 &&
      !check(cudaMemcpyAsync(pinned_.data(), data, bytes, cudaMemcpyDeviceToHost, stream_),
             "cudaMemcpyAsync (to the host)")) {
    return;
  }
  // Also where a kernel's failure surfaces: it is reported by the next call after it.
  if (!check(cudaStreamSynchronize(stream_), "the queued operations (cudaStreamSynchronize)")) {
    return;
  }
  if (bytes != 0) std::memcpy(host, pinned_.data(), bytes);
}

}  // namespace clipsearch::cuda
