// Backend: the operations the transformer towers are written in, and where they run
// (docs/ARCHITECTURE.md, "Devices"; DESIGN.md, "Growing the engine"). The forward pass
// (encoder.cpp, vision_tower.cpp, text_tower.cpp) calls these operations and never learns which
// backend runs them: CpuBackend (cpu_backend.h) on the CPU's threads and memory, the CUDA
// backend (src/cuda, a module loaded at run time: cuda_module.h) on a GPU's.
//
// Memory. Every float* an operation takes is the backend's memory: host memory for the CPU, the
// device's for CUDA. It comes from buffer() or to_backend(); results go back with to_host().
// Weights are the one exception: operations take the model's host-side weights (a WeightMatrix,
// a `const float*` bias or layer-norm vector), and the backend finds its own copy of them, made
// once by prepare() at load. Index lists (sequence offsets, rows) are host memory.
//
// Errors. Operations do not return errors: a device that runs out of memory or disappears
// records the first failure in status(), and every later operation does nothing until the pass
// ends; the caller checks status() once per pass (CpuBackend never fails).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "clipsearch/status.h"
#include "tensor/ops.h"
#include "tensor/weight_matrix.h"

namespace clipsearch {

// The scratch buffers of one forward pass. Each is grown on demand and kept between passes.
enum class Buffer {
  kInput,    // the pixels of the images of a pass, as the caller gave them
  kPatches,  // [images * patches, channels * patch * patch] unfolded patches
  kHidden,   // [rows, width] the residual stream
  kNormed,   // [rows, width] a layer norm's output
  kQkv,      // [rows, 3 * width] q | k | v
  kContext,  // [rows, width] attention output, heads side by side
  kMlp,      // [rows, mlp_width] act(fc1(...))
  kBranch,   // [rows, width] out_proj or fc2 output, before the residual add
  kPooled,   // [sequences, width] the pooled rows
  kOutput,   // [sequences, projection_dim] the embeddings
  kCount,
};

// A weight's values as stored on the host, for a backend that keeps its own copy.
struct HostMatrix {
  WeightType type = WeightType::kF32;
  WeightLayout layout = WeightLayout::kOutIn;  // kInOut only for kF32
  int64_t out = 0, in = 0;
  const void* data = nullptr;     // float (kF32), uint16_t (kBF16, kF16), int8_t (kInt8)
  const float* scales = nullptr;  // kInt8: [out]
};

// `w`'s host values, or data == nullptr when it is held only packed for the CPU's products
// (int8-dynamic, the BF16 arithmetic level's packing).
HostMatrix host_matrix(const WeightMatrix& w);

// One multi-head attention over sequences packed row after row (encoder.h's PackedSequences):
// sequence s owns rows [offsets[s], offsets[s + 1]) of qkv [rows, 3 * width] (q | k | v, heads
// side by side) and of context [rows, width].
struct AttentionShape {
  int64_t heads = 0, head_dim = 0;
  const int64_t* offsets = nullptr;  // host, count + 1 entries
  int64_t count = 0;                 // sequences
  int64_t max_length = 0;            // the longest sequence
  bool causal = false;               // each row sees only itself and earlier rows of its sequence
  int64_t width() const { return heads * head_dim; }
  int64_t rows() const { return offsets[count]; }
};

class Backend {
 public:
  virtual ~Backend() = default;

  // "cpu", or the device with its name ("cuda:0 (NVIDIA H200, 139 GiB)").
  virtual std::string description() const = 0;
  // The first failure since the last reset_status(), or OK.
  virtual Status status() const = 0;
  virtual void reset_status() = 0;

  // At load: keep a copy of a weight for the operations (no-op on the CPU); `w` is the key the
  // operations later name it by, `values` what it holds (host_matrix(w)). Errors: out of device
  // memory, a weight held only packed for the CPU (values.data null).
  virtual Status prepare(const WeightMatrix& w, const HostMatrix& values) = 0;
  virtual Status prepare(const float* host, int64_t count) = 0;

  // Scratch memory of at least `floats` floats; its contents are undefined after growth.
  virtual float* buffer(Buffer which, int64_t floats) = 0;
  // `floats` host floats in backend memory: the host pointer itself on the CPU, else copied into
  // buffer(which).
  virtual const float* to_backend(const float* host, int64_t floats, Buffer which) = 0;
  // Copies `floats` backend floats to `host`, and waits for every queued operation.
  virtual void to_host(const float* data, int64_t floats, float* host) = 0;

  // y [rows, ldy] = x [rows, in] @ w^T + beta * y. ref: torch.nn.functional.linear.
  virtual void linear(int64_t rows, const float* x, int64_t in, const WeightMatrix& w, float beta,
                      float* y, int64_t ldy) = 0;
  // The same product for `blocks` independent blocks of `rows` rows: block b reads x + b *
  // x_stride and writes y + b * y_stride (the patch embedding of each image into its rows).
  virtual void linear_blocks(int64_t blocks, int64_t rows, const float* x, int64_t x_stride,
                             int64_t in, const WeightMatrix& w, float beta, float* y,
                             int64_t y_stride, int64_t ldy) = 0;
  // Every row of y [rows, cols] (leading dimension ldy) = values [cols] (host weight).
  virtual void fill_rows(float* y, int64_t rows, int64_t cols, int64_t ldy,
                         const float* values) = 0;
  // x[r] = act(x[r] + bias), bias [cols] a host weight or null. tensor/ops.h bias_activation.
  virtual void bias_activation(float* x, int64_t rows, int64_t cols, int64_t ld, const float* bias,
                               Activation act) = 0;
  // tensor/ops.h layer_norm; gamma and beta host weights.
  virtual void layer_norm(const float* x, int64_t rows, int64_t width, int64_t ldx,
                          const float* gamma, const float* beta, float eps, float* out,
                          int64_t ldout) = 0;
  // x[r] += y[r] + bias (bias a host weight or null). tensor/ops.h add_residual.
  virtual void add_residual(float* x, int64_t rows, int64_t width, int64_t ldx, const float* y,
                            int64_t ldy, const float* bias) = 0;
  // context[s, h] = softmax(q k^T / sqrt(head_dim) [+ causal mask]) v for every sequence and
  // head. ref: CLIPAttention.forward.
  virtual void attention(const AttentionShape& shape, const float* qkv, float* context) = 0;
  // The same for one query row per sequence, query_rows[s] (absolute rows, host), its keys
  // those of its sequence (causal: up to itself); context is compact: [count, width].
  virtual void attention_rows(const AttentionShape& shape, const int64_t* query_rows,
                              const float* qkv, float* context) = 0;
  // dst[i] = src[rows[i]] (gather) / dst[rows[i]] = src[i] (scatter), `width` floats each; src
  // and dst [.., ld] on the indexed side, compact on the other. rows: host.
  virtual void gather_rows(const float* src, int64_t ld, const int64_t* rows, int64_t count,
                           int64_t width, float* dst) = 0;
  virtual void scatter_rows(const float* src, const int64_t* rows, int64_t count, int64_t width,
                            float* dst, int64_t ld) = 0;

  // The towers' first steps.
  // patches[n * grid^2 + gy * grid + gx][c * p * p + ky * p + kx] =
  // pixels[n][c][gy * p + ky][gx * p + kx], grid = size / p (vision_tower.cpp).
  virtual void unfold_patches(const float* pixels, int64_t images, int64_t channels, int64_t size,
                              int64_t patch, float* patches) = 0;
  // For each image's `tokens` rows of hidden [images * tokens, width]: row t = positions[t],
  // plus class_embedding for t = 0 when it is not null (host weights).
  virtual void position_rows(float* hidden, int64_t images, int64_t tokens, int64_t width,
                             const float* class_embedding, const float* positions) = 0;
  // hidden[r] = table row ids[r] + positions row position[r], for `rows` rows (ids and
  // position: host). ref: CLIPTextEmbeddings.forward.
  virtual void embed_tokens(const WeightMatrix& table, const int32_t* ids, const int64_t* position,
                            int64_t rows, const float* positions, int64_t width, float* hidden) = 0;
};

}  // namespace clipsearch
