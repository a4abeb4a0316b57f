// A test device module: what libclipsearch_cuda.so is to Model::load (the same entry point and
// ABI, cuda_module.h), with the CPU's operations behind it, for device_engine_test on machines
// without a GPU. It holds the engine to a device's rules and fails where a GPU would:
//   - memory: every float* an operation takes must lie in this backend's own buffers (device
//     memory), never the caller's host memory;
//   - weights: every weight an operation names must have been given to prepare(), and the
//     operation computes with the copy prepare() made, not the host's;
//   - failures on demand: $CLIPSEARCH_LOOPBACK_FAIL_AFTER=N makes operation N+1 fail as a GPU
//     out of memory does (sticky until reset_status()); $CLIPSEARCH_LOOPBACK_FAIL_PREPARE=1
//     makes prepare() fail; $CLIPSEARCH_LOOPBACK_NO_DEVICE=1 makes the entry refuse to start.
#include <array>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "model/cpu_backend.h"
#include "model/cuda_module.h"

namespace clipsearch {
namespace {

int64_t env_number(const char* name, int64_t otherwise) {
  const char* value = std::getenv(name);
  return value != nullptr && *value ? std::atoll(value) : otherwise;
}

class LoopbackBackend final : public Backend {
 public:
  explicit LoopbackBackend(int device)
      : name_("cuda:" + std::to_string(device)),
        fail_after_(env_number("CLIPSEARCH_LOOPBACK_FAIL_AFTER", -1)),
        fail_prepare_(env_number("CLIPSEARCH_LOOPBACK_FAIL_PREPARE", 0) != 0) {}

  std::string description() const override { return name_ + " (clipsearch loopback test device)"; }
  Status status() const override { return status_; }
  void reset_status() override { status_ = Status(); }

  Status prepare(const WeightMatrix& w, const HostMatrix& values) override {
    if (fail_prepare_) return out_of_memory("a weight");
    if (values.data == nullptr || values.out != w.out() || values.in != w.in()) {
      return Status::invalid_argument("prepare: a matrix without its values");
    }
    matrices_.insert(&w);
    return Status();
  }
  Status prepare(const float* host, int64_t count) override {
    if (fail_prepare_) return out_of_memory("a weight");
    vectors_[host].assign(host, host + count);
    return Status();
  }

  float* buffer(Buffer which, int64_t floats) override {
    std::vector<float>& b = buffers_[static_cast<size_t>(which)];
    if (b.size() < static_cast<size_t>(floats)) b.resize(static_cast<size_t>(floats));
    return b.data();
  }
  const float* to_backend(const float* host, int64_t floats, Buffer which) override {
    float* copy = buffer(which, floats);
    std::memcpy(copy, host, static_cast<size_t>(floats) * sizeof(float));
    return copy;
  }
  void to_host(const float* data, int64_t floats, float* host) override {
    if (begin("to_host", {data})) cpu_->to_host(data, floats, host);
  }

  void linear(int64_t rows, const float* x, int64_t in, const WeightMatrix& w, float beta, float* y,
              int64_t ldy) override {
    if (begin("linear", {x, y}) && prepared(w, "linear")) {
      cpu_->linear(rows, x, in, w, beta, y, ldy);
    }
  }
  void linear_blocks(int64_t blocks, int64_t rows, const float* x, int64_t x_stride, int64_t in,
                     const WeightMatrix& w, float beta, float* y, int64_t y_stride,
                     int64_t ldy) override {
    if (begin("linear_blocks", {x, y}) && prepared(w, "linear_blocks")) {
      cpu_->linear_blocks(blocks, rows, x, x_stride, in, w, beta, y, y_stride, ldy);
    }
  }
  void fill_rows(float* y, int64_t rows, int64_t cols, int64_t ldy, const float* values) override {
    const float* v = weight(values, "fill_rows");
    if (begin("fill_rows", {y}) && v != nullptr) cpu_->fill_rows(y, rows, cols, ldy, v);
  }
  void bias_activation(float* x, int64_t rows, int64_t cols, int64_t ld, const float* bias,
                       Activation act) override {
    const float* b = optional_weight(bias, "bias_activation");
    if (begin("bias_activation", {x})) cpu_->bias_activation(x, rows, cols, ld, b, act);
  }
  void layer_norm(const float* x, int64_t rows, int64_t width, int64_t ldx, const float* gamma,
                  const float* beta, float eps, float* out, int64_t ldout) override {
    const float* g = weight(gamma, "layer_norm");
    const float* b = weight(beta, "layer_norm");
    if (begin("layer_norm", {x, out}) && g != nullptr && b != nullptr) {
      cpu_->layer_norm(x, rows, width, ldx, g, b, eps, out, ldout);
    }
  }
  void add_residual(float* x, int64_t rows, int64_t width, int64_t ldx, const float* y, int64_t ldy,
                    const float* bias) override {
    const float* b = optional_weight(bias, "add_residual");
    if (begin("add_residual", {x, y})) cpu_->add_residual(x, rows, width, ldx, y, ldy, b);
  }
  void attention(const AttentionShape& shape, const float* qkv, float* context) override {
    if (begin("attention", {qkv, context})) cpu_->attention(shape, qkv, context);
  }
  void attention_rows(const AttentionShape& shape, const int64_t* query_rows, const float* qkv,
                      float* context) override {
    if (begin("attention_rows", {qkv, context})) {
      cpu_->attention_rows(shape, query_rows, qkv, context);
    }
  }
  void gather_rows(const float* src, int64_t ld, const int64_t* rows, int64_t count, int64_t width,
                   float* dst) override {
    if (begin("gather_rows", {src, dst})) cpu_->gather_rows(src, ld, rows, count, width, dst);
  }
  void scatter_rows(const float* src, const int64_t* rows, int64_t count, int64_t width, float* dst,
                    int64_t ld) override {
    if (begin("scatter_rows", {src, dst})) cpu_->scatter_rows(src, rows, count, width, dst, ld);
  }
  void unfold_patches(const float* pixels, int64_t images, int64_t channels, int64_t size,
                      int64_t patch, float* patches) override {
    if (begin("unfold_patches", {pixels, patches})) {
      cpu_->unfold_patches(pixels, images, channels, size, patch, patches);
    }
  }
  void position_rows(float* hidden, int64_t images, int64_t tokens, int64_t width,
                     const float* class_embedding, const float* positions) override {
    const float* c = optional_weight(class_embedding, "position_rows");
    const float* p = weight(positions, "position_rows");
    if (begin("position_rows", {hidden}) && p != nullptr) {
      cpu_->position_rows(hidden, images, tokens, width, c, p);
    }
  }
  void embed_tokens(const WeightMatrix& table, const int32_t* ids, const int64_t* position,
                    int64_t rows, const float* positions, int64_t width, float* hidden) override {
    const float* p = weight(positions, "embed_tokens");
    if (begin("embed_tokens", {hidden}) && prepared(table, "embed_tokens") && p != nullptr) {
      cpu_->embed_tokens(table, ids, position, rows, p, width, hidden);
    }
  }

 private:
  Status out_of_memory(const std::string& what) const {
    return Status::unavailable(name_ + ": out of device memory allocating " + what +
                               " (loopback test device, as told)");
  }

  void fail(const Status& status) {
    if (status_.ok()) status_ = status;
  }

  // Whether `p` lies in one of this device's buffers.
  bool on_device(const float* p) const {
    for (const std::vector<float>& b : buffers_) {
      if (!b.empty() && p >= b.data() && p < b.data() + b.size()) return true;
    }
    return false;
  }

  // Whether the operation may run: no failure so far, not the one told to fail, and all its
  // memory the device's.
  bool begin(const char* op, std::initializer_list<const float*> memory) {
    if (!status_.ok()) return false;
    if (fail_after_ >= 0 && operations_++ >= fail_after_) {
      fail(out_of_memory(std::string("the scratch of ") + op));
      return false;
    }
    for (const float* p : memory) {
      if (!on_device(p)) {
        fail(Status::error(std::string(op) + ": given memory that is not the device's"));
        return false;
      }
    }
    return true;
  }

  bool prepared(const WeightMatrix& w, const char* op) {
    if (matrices_.count(&w) != 0) return true;
    fail(Status::error(std::string(op) + ": a weight matrix that was never prepared"));
    return false;
  }

  // The device's copy of a weight vector, or null (and the failure) when it was never prepared.
  const float* weight(const float* host, const char* op) {
    auto it = vectors_.find(host);
    if (it != vectors_.end()) return it->second.data();
    fail(Status::error(std::string(op) + ": a weight vector that was never prepared"));
    return nullptr;
  }
  const float* optional_weight(const float* host, const char* op) {
    return host == nullptr ? nullptr : weight(host, op);
  }

  std::string name_;
  int64_t fail_after_;
  bool fail_prepare_;
  int64_t operations_ = 0;
  Status status_;
  std::unique_ptr<Backend> cpu_ = make_cpu_backend();
  std::array<std::vector<float>, static_cast<size_t>(Buffer::kCount)> buffers_;
  std::unordered_set<const WeightMatrix*> matrices_;
  std::unordered_map<const float*, std::vector<float>> vectors_;
};

}  // namespace
}  // namespace clipsearch

extern "C" __attribute__((visibility("default"))) clipsearch::Backend*
clipsearch_cuda_create_backend(int abi, int device, char* error, size_t error_size) {
  auto refuse = [&](const std::string& why) -> clipsearch::Backend* {
    std::snprintf(error, error_size, "%s", why.c_str());
    return nullptr;
  };
  if (abi != clipsearch::kCudaModuleAbi) {
    return refuse("loopback module of ABI " + std::to_string(clipsearch::kCudaModuleAbi) +
                  ", asked for " + std::to_string(abi));
  }
  if (clipsearch::env_number("CLIPSEARCH_LOOPBACK_NO_DEVICE", 0) != 0) {
    return refuse("cuda:" + std::to_string(device) + ": the device is gone (loopback, as told)");
  }
  return new clipsearch::LoopbackBackend(device);
}
