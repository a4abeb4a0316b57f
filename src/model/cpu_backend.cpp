#include "model/cpu_backend.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstring>
#include <vector>

#include "core/thread_pool.h"
#include "model/encoder.h"
#include "tensor/gemm.h"
#include "tensor/ops.h"
#include "tensor/weight_linear.h"

namespace clipsearch {

HostMatrix host_matrix(const WeightMatrix& w) {
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

namespace {

float attention_scale(int64_t head_dim) { return 1.0f / std::sqrt(static_cast<float>(head_dim)); }

class CpuBackend final : public Backend {
 public:
  std::string description() const override { return "cpu"; }
  Status status() const override { return Status(); }
  void reset_status() override {}
  Status prepare(const WeightMatrix&, const HostMatrix&) override { return Status(); }
  Status prepare(const float*, int64_t) override { return Status(); }

  float* buffer(Buffer which, int64_t floats) override {
    std::vector<float>& b = buffers_[static_cast<size_t>(which)];
    grow_buffer(b, floats);
    return b.data();
  }
  const float* to_backend(const float* host, int64_t, Buffer) override { return host; }
  void to_host(const float* data, int64_t floats, float* host) override {
    if (data != host) std::memcpy(host, data, static_cast<size_t>(floats) * sizeof(float));
  }

  void linear(int64_t rows, const float* x, int64_t in, const WeightMatrix& w, float beta, float* y,
              int64_t ldy) override {
    clipsearch::linear(rows, x, in, w, beta, y, ldy);
  }

  // Many blocks: one block per task, each product on one thread (no synchronisation inside a
  // product); fewer blocks than threads: each product threaded.
  void linear_blocks(int64_t blocks, int64_t rows, const float* x, int64_t x_stride, int64_t in,
                     const WeightMatrix& w, float beta, float* y, int64_t y_stride,
                     int64_t ldy) override {
    if (blocks >= num_threads()) {
      parallel_tasks(blocks, [&](int64_t b) {
        linear_single(rows, x + b * x_stride, in, w, beta, y + b * y_stride, ldy);
      });
    } else {
      for (int64_t b = 0; b < blocks; ++b) {
        clipsearch::linear(rows, x + b * x_stride, in, w, beta, y + b * y_stride, ldy);
      }
    }
  }

  void fill_rows(float* y, int64_t rows, int64_t cols, int64_t ldy, const float* values) override {
    parallel_for(
        rows,
        [&](int64_t begin, int64_t end) {
          for (int64_t r = begin; r < end; ++r) std::copy(values, values + cols, y + r * ldy);
        },
        16);
  }

  void bias_activation(float* x, int64_t rows, int64_t cols, int64_t ld, const float* bias,
                       Activation act) override {
    clipsearch::bias_activation(x, rows, cols, ld, bias, act);
  }

  void layer_norm(const float* x, int64_t rows, int64_t width, int64_t ldx, const float* gamma,
                  const float* beta, float eps, float* out, int64_t ldout) override {
    clipsearch::layer_norm(x, rows, width, ldx, gamma, beta, eps, out, ldout);
  }

  void add_residual(float* x, int64_t rows, int64_t width, int64_t ldx, const float* y, int64_t ldy,
                    const float* bias) override {
    clipsearch::add_residual(x, rows, width, ldx, y, ldy, bias);
  }

  // One (sequence, head) pair per task: scores [len, len] = q k^T * scale, softmax per row over
  // the visible keys, then context = scores v.
  void attention(const AttentionShape& a, const float* qkv, float* context) override {
    const int64_t width = a.width(), ld = 3 * width, hd = a.head_dim;
    const float scale = attention_scale(hd);
    for_each_sequence_head(
        a, a.max_length * a.max_length, [&](int64_t seq, int64_t head, float* s) {
          const int64_t len = a.offsets[seq + 1] - a.offsets[seq];
          const float* q = qkv + a.offsets[seq] * ld + head * hd;  // [len, head_dim]
          const float* k = q + width;
          const float* v = q + 2 * width;
          gemm_single(len, len, hd, scale, q, ld, k, ld, true, 0.0f, s, len);  // [len, len]
          for (int64_t i = 0; i < len; ++i) {
            float* row = s + i * len;
            const int64_t visible = a.causal ? i + 1 : len;
            softmax_row(row, visible);
            std::fill(row + visible, row + len, 0.0f);
          }
          float* out = context + a.offsets[seq] * width + head * hd;
          gemm_single(len, hd, len, 1.0f, s, len, v, ld, false, 0.0f, out, width);
        });
  }

  void attention_rows(const AttentionShape& a, const int64_t* query_rows, const float* qkv,
                      float* context) override {
    const int64_t width = a.width(), ld = 3 * width, hd = a.head_dim;
    const float scale = attention_scale(hd);
    for_each_sequence_head(a, a.max_length, [&](int64_t seq, int64_t head, float* s) {
      const int64_t first = a.offsets[seq];
      const int64_t row = query_rows[seq];
      const int64_t keys = a.causal ? row - first + 1 : a.offsets[seq + 1] - first;
      const float* q = qkv + row * ld + head * hd;            // [1, head_dim]
      const float* k = qkv + first * ld + width + head * hd;  // [keys, head_dim]
      const float* v = k + width;
      gemm_single(1, keys, hd, scale, q, ld, k, ld, true, 0.0f, s, keys);
      softmax_row(s, keys);
      gemm_single(1, hd, keys, 1.0f, s, keys, v, ld, false, 0.0f, context + seq * width + head * hd,
                  width);
    });
  }

  void gather_rows(const float* src, int64_t ld, const int64_t* rows, int64_t count, int64_t width,
                   float* dst) override {
    for (int64_t i = 0; i < count; ++i) {
      std::copy(src + rows[i] * ld, src + rows[i] * ld + width, dst + i * width);
    }
  }

  void scatter_rows(const float* src, const int64_t* rows, int64_t count, int64_t width, float* dst,
                    int64_t ld) override {
    for (int64_t i = 0; i < count; ++i) {
      std::copy(src + i * width, src + (i + 1) * width, dst + rows[i] * ld);
    }
  }

  void unfold_patches(const float* pixels, int64_t images, int64_t channels, int64_t size,
                      int64_t p, float* patches) override {
    const int64_t grid = size / p, per_image = grid * grid, cols = channels * p * p;
    parallel_for(images * per_image, [&](int64_t begin, int64_t end) {
      for (int64_t row = begin; row < end; ++row) {
        const int64_t n = row / per_image, gy = (row % per_image) / grid, gx = row % grid;
        float* dst = patches + row * cols;
        for (int64_t ch = 0; ch < channels; ++ch) {
          for (int64_t ky = 0; ky < p; ++ky) {
            const float* src = pixels + ((n * channels + ch) * size + gy * p + ky) * size + gx * p;
            std::copy(src, src + p, dst + (ch * p + ky) * p);
          }
        }
      }
    });
  }

  void position_rows(float* hidden, int64_t images, int64_t tokens, int64_t width,
                     const float* class_embedding, const float* positions) override {
    parallel_for(images * tokens, [&](int64_t begin, int64_t end) {
      for (int64_t row = begin; row < end; ++row) {
        const int64_t t = row % tokens;
        float* dst = hidden + row * width;
        const float* pos = positions + t * width;
        if (t == 0 && class_embedding != nullptr) {
          for (int64_t i = 0; i < width; ++i) dst[i] = class_embedding[i] + pos[i];
        } else {
          std::copy(pos, pos + width, dst);
        }
      }
    });
  }

  void embed_tokens(const WeightMatrix& table, const int32_t* ids, const int64_t* position,
                    int64_t rows, const float* positions, int64_t width, float* hidden) override {
    parallel_for(
        rows,
        [&](int64_t begin, int64_t end) {
          for (int64_t r = begin; r < end; ++r) {
            float* dst = hidden + r * width;
            const float* pos = positions + position[r] * width;
            weight_row(table, ids[r], dst);
            for (int64_t i = 0; i < width; ++i) dst[i] += pos[i];
          }
        },
        16);
  }

 private:
  // Calls fn(seq, head, scratch) for every (sequence, head) pair, spread over the pool in at
  // most one chunk per thread; each chunk gets its own `slot_floats` of scores_.
  template <class Fn>
  void for_each_sequence_head(const AttentionShape& a, int64_t slot_floats, Fn fn) {
    const int64_t tasks = a.count * a.heads;
    if (tasks == 0) return;
    const int64_t slots = std::min<int64_t>(num_threads(), tasks);
    grow_buffer(scores_, slots * slot_floats);
    std::atomic<int64_t> next_slot{0};
    parallel_for(
        tasks,
        [&](int64_t begin, int64_t end) {
          float* scratch = scores_.data() + next_slot.fetch_add(1) * slot_floats;
          for (int64_t t = begin; t < end; ++t) fn(t / a.heads, t % a.heads, scratch);
        },
        (tasks + slots - 1) / slots);  // at most `slots` chunks, one scratch slot each
  }

  std::array<std::vector<float>, static_cast<size_t>(Buffer::kCount)> buffers_;
  std::vector<float> scores_;  // [threads, max_len, max_len] attention probabilities
};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend() { return std::make_unique<CpuBackend>(); }

}  // namespace clipsearch
