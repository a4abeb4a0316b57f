// A Backend for tests of whole towers on the GPU before Model::load prepares a model's weights
// for a device: it forwards every operation to `inner` and first prepares (once per host
// address: prepare() is idempotent) each weight the operation names, with the size the
// operation reads. Test code only: a model's loader prepares every weight at load, where an
// out-of-memory error can still be reported before the first pass.
#pragma once

#include <algorithm>
#include <memory>
#include <utility>

#include "model/backend.h"

namespace clipsearch::cuda::testing {

class PreparingBackend final : public Backend {
 public:
  explicit PreparingBackend(std::unique_ptr<Backend> inner) : inner_(std::move(inner)) {}

  std::string description() const override { return inner_->description(); }
  Status status() const override { return inner_->status(); }
  void reset_status() override { inner_->reset_status(); }
  Status prepare(const WeightMatrix& w, const HostMatrix& values) override {
    return inner_->prepare(w, values);
  }
  Status prepare(const float* host, int64_t count) override { return inner_->prepare(host, count); }
  float* buffer(Buffer which, int64_t floats) override { return inner_->buffer(which, floats); }
  const float* to_backend(const float* host, int64_t floats, Buffer which) override {
    return inner_->to_backend(host, floats, which);
  }
  void to_host(const float* data, int64_t floats, float* host) override {
    inner_->to_host(data, floats, host);
  }

  void linear(int64_t rows, const float* x, int64_t in, const WeightMatrix& w, float beta, float* y,
              int64_t ldy) override {
    matrix(w);
    inner_->linear(rows, x, in, w, beta, y, ldy);
  }
  void linear_blocks(int64_t blocks, int64_t rows, const float* x, int64_t x_stride, int64_t in,
                     const WeightMatrix& w, float beta, float* y, int64_t y_stride,
                     int64_t ldy) override {
    matrix(w);
    inner_->linear_blocks(blocks, rows, x, x_stride, in, w, beta, y, y_stride, ldy);
  }
  void fill_rows(float* y, int64_t rows, int64_t cols, int64_t ldy, const float* values) override {
    vector(values, cols);
    inner_->fill_rows(y, rows, cols, ldy, values);
  }
  void bias_activation(float* x, int64_t rows, int64_t cols, int64_t ld, const float* bias,
                       Activation act) override {
    vector(bias, cols);
    inner_->bias_activation(x, rows, cols, ld, bias, act);
  }
  void layer_norm(const float* x, int64_t rows, int64_t width, int64_t ldx, const float* gamma,
                  const float* beta, float eps, float* out, int64_t ldout) override {
    vector(gamma, width);
    vector(beta, width);
    inner_->layer_norm(x, rows, width, ldx, gamma, beta, eps, out, ldout);
  }
  void add_residual(float* x, int64_t rows, int64_t width, int64_t ldx, const float* y, int64_t ldy,
                    const float* bias) override {
    vector(bias, width);
    inner_->add_residual(x, rows, width, ldx, y, ldy, bias);
  }
  void attention(const AttentionShape& shape, const float* qkv, float* context) override {
    inner_->attention(shape, qkv, context);
  }
  void attention_rows(const AttentionShape& shape, const int64_t* query_rows, const float* qkv,
                      float* context) override {
    inner_->attention_rows(shape, query_rows, qkv, context);
  }
  void gather_rows(const float* src, int64_t ld, const int64_t* rows, int64_t count, int64_t width,
                   float* dst) override {
    inner_->gather_rows(src, ld, rows, count, width, dst);
  }
  void scatter_rows(const float* src, const int64_t* rows, int64_t count, int64_t width, float* dst,
                    int64_t ld) override {
    inner_->scatter_rows(src, rows, count, width, dst, ld);
  }
  void unfold_patches(const float* pixels, int64_t images, int64_t channels, int64_t size,
                      int64_t patch, float* patches) override {
    inner_->unfold_patches(pixels, images, channels, size, patch, patches);
  }
  void position_rows(float* hidden, int64_t images, int64_t tokens, int64_t width,
                     const float* class_embedding, const float* positions) override {
    vector(class_embedding, width);
    vector(positions, tokens * width);
    inner_->position_rows(hidden, images, tokens, width, class_embedding, positions);
  }
  void embed_tokens(const WeightMatrix& table, const int32_t* ids, const int64_t* position,
                    int64_t rows, const float* positions, int64_t width, float* hidden) override {
    matrix(table);
    const int64_t last = rows == 0 ? 0 : *std::max_element(position, position + rows);
    vector(positions, (last + 1) * width);
    inner_->embed_tokens(table, ids, position, rows, positions, width, hidden);
  }

 private:
  // A failure shows in status() after the pass: out of device memory itself, anything else as
  // the weight the operation then does not find.
  void matrix(const WeightMatrix& w) { (void)inner_->prepare(w, host_matrix(w)); }
  void vector(const float* host, int64_t count) {
    if (host != nullptr) (void)inner_->prepare(host, count);
  }

  std::unique_ptr<Backend> inner_;
};

}  // namespace clipsearch::cuda::testing
