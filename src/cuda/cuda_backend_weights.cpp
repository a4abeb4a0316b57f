// prepare(): each weight uploaded once, keyed by its host address, and converted on the device
// to what the operations read (cuda_backend.h); the lookups the operations make.
#include <sstream>
#include <string>

#include "cuda/cuda_backend.h"

namespace clipsearch::cuda {

namespace {

// Where an int8 matrix's scales start in the staging buffer: after its values, aligned.
size_t int8_scales_offset(const HostMatrix& v) {
  constexpr size_t kAlign = 256;
  return (static_cast<size_t>(v.out * v.in) + kAlign - 1) / kAlign * kAlign;
}

// The bytes of `v`'s values as the host holds them (int8: the scales too).
size_t host_bytes(const HostMatrix& v) {
  const auto n = static_cast<size_t>(v.out * v.in);
  switch (v.type) {
    case WeightType::kF32:
      return n * sizeof(float);
    case WeightType::kBF16:
    case WeightType::kF16:
      return n * sizeof(uint16_t);
    case WeightType::kInt8:
      return int8_scales_offset(v) + static_cast<size_t>(v.out) * sizeof(float);
  }
  return 0;
}

std::string describe(const void* host, int64_t out, int64_t in) {
  std::ostringstream s;
  s << "weight at " << host << " [" << out << ", " << in << "]";
  return s.str();
}

}  // namespace

Status CudaBackend::prepare(const WeightMatrix& w, const HostMatrix& values) {
  if (matrices_.count(&w) != 0) return Status();
  if (values.data == nullptr) {
    return Status::unsupported(prefix() + ": the " + describe(&w, values.out, values.in) + " (" +
                               weight_type_name(values.type) +
                               ") is held only packed for the CPU's products; the CUDA engine "
                               "needs its values (load it with another precision)");
  }
  if (!ready()) return status_;
  DeviceMatrix m;
  CLIPSEARCH_RETURN_IF_ERROR(prepare_matrix(values, m));
  matrices_.emplace(&w, std::move(m));
  return Status();
}

Status CudaBackend::prepare_matrix(const HostMatrix& v, DeviceMatrix& m) {
  m.type = v.type == WeightType::kBF16 ? HalfType::kBF16 : HalfType::kF16;
  m.out = v.out;
  m.in = v.in;
  const size_t half_bytes = static_cast<size_t>(v.out * v.in) * sizeof(uint16_t);
  DeviceBuffer half;
  if (!grow(half, half_bytes, "a weight matrix")) return status_;
  const bool as_is = v.type == WeightType::kBF16 || v.type == WeightType::kF16;
  void* staged = half.data();
  if (!as_is) {
    if (!grow(weight_staging_, host_bytes(v), "a weight as the host holds it")) return status_;
    staged = weight_staging_.data();
  }
  const size_t value_bytes = v.type == WeightType::kInt8 ? static_cast<size_t>(v.out * v.in)
                             : as_is                     ? half_bytes
                                                         : host_bytes(v);
  if (!upload(v.data, value_bytes, staged)) return status_;
  if (v.type == WeightType::kF32 && v.layout == WeightLayout::kInOut) {
    check(to_half_transposed(static_cast<const float*>(staged), v.out, v.in, m.type, half.data(),
                             stream_),
          "to_half_transposed");
  } else if (v.type == WeightType::kF32) {
    check(to_half_blocks(static_cast<const float*>(staged), 1, v.out * v.in, 0, m.type, half.data(),
                         stream_),
          "to_half_blocks");
  } else if (v.type == WeightType::kInt8) {
    auto* q = static_cast<int8_t*>(staged);
    auto* scales = reinterpret_cast<float*>(q + int8_scales_offset(v));
    if (!upload(v.scales, static_cast<size_t>(v.out) * sizeof(float), scales)) return status_;
    check(int8_to_half(q, scales, v.out, v.in, m.type, half.data(), stream_), "int8_to_half");
  }
  // The staging buffer is reused by the next weight: this one's conversion must be done first.
  check(cudaStreamSynchronize(stream_), "cudaStreamSynchronize (weight upload)");
  if (!status_.ok()) return status_;
  m.data = half.take();
  return Status();
}

Status CudaBackend::prepare(const float* host, int64_t count) {
  if (host == nullptr) return Status();  // an absent bias
  const auto known = vectors_.find(host);
  // Prepared again with more floats (a caller that learns a vector's size from its first use):
  // uploaded again, whole. grow() below waits for the operations that read the old copy.
  if (known != vectors_.end() && known->second.count >= count) return Status();
  if (!ready()) return status_;
  DeviceBuffer device;
  const size_t bytes = static_cast<size_t>(count) * sizeof(float);
  if (!grow(device, bytes, "a weight vector") || !upload(host, bytes, device.data())) {
    return status_;
  }
  DeviceVector v;
  v.data = device.take();
  v.count = count;
  vectors_[host] = std::move(v);
  return Status();
}

const DeviceMatrix* CudaBackend::matrix(const WeightMatrix& w, const char* op) {
  const auto it = matrices_.find(&w);
  if (it != matrices_.end()) return &it->second;
  fail(Status::error(prefix() + ": " + op + " names a " + describe(&w, w.out(), w.in()) +
                     " that prepare() never uploaded"));
  return nullptr;
}

const float* CudaBackend::vector(const float* host, int64_t count, const char* op) {
  if (host == nullptr) return nullptr;
  const auto it = vectors_.find(host);
  std::ostringstream what;
  what << op << " names a weight vector at " << static_cast<const void*>(host) << " of " << count
       << " floats";
  if (it == vectors_.end()) {
    fail(Status::error(prefix() + ": " + what.str() + " that prepare() never uploaded"));
    return nullptr;
  }
  if (it->second.count < count) {
    fail(Status::error(prefix() + ": " + what.str() + "; prepare() uploaded " +
                       std::to_string(it->second.count)));
    return nullptr;
  }
  return static_cast<const float*>(it->second.data.get());
}

}  // namespace clipsearch::cuda
