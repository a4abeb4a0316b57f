// CudaBackend's attention and attention_rows against CpuBackend's (ref: CLIPAttention.forward)
// on the shapes of B/32, B/16 and L/14 images (equal lengths: the cuBLAS path) and of texts
// (lengths 1..77, causal: the fused path). The equal-length products run in TF32 (10-bit
// mantissa, as F16): inputs of the size a layer norm and a projection give (|q|, |k|, |v| ~ 1)
// agree within 8e-3 + 8e-3 |want|; the fused path is float32 and agrees much closer, within the
// same bound.
#include <algorithm>

#include "cuda/cuda_backend_test_util.h"

namespace clipsearch::cuda::testing {
namespace {

struct Sequences {
  int64_t heads, head_dim;
  std::vector<int64_t> offsets;  // count + 1
  int64_t count() const { return static_cast<int64_t>(offsets.size()) - 1; }
  int64_t width() const { return heads * head_dim; }
  AttentionShape shape(bool causal) const {
    AttentionShape s;
    s.heads = heads;
    s.head_dim = head_dim;
    s.offsets = offsets.data();
    s.count = count();
    for (int64_t i = 0; i < count(); ++i) {
      s.max_length = std::max(s.max_length, offsets[i + 1] - offsets[i]);
    }
    s.causal = causal;
    return s;
  }
};

Sequences of_lengths(int64_t heads, int64_t head_dim, const std::vector<int64_t>& lengths) {
  Sequences s{heads, head_dim, {0}};
  for (int64_t len : lengths) s.offsets.push_back(s.offsets.back() + len);
  return s;
}

void expect_attention(Backend& cuda, const Sequences& s, bool causal, uint32_t seed,
                      const std::string& what) {
  const int64_t rows = s.offsets.back(), width = s.width();
  const auto qkv = random_values(rows * 3 * width, 0.0f, 1.0f, seed);
  const float* dqkv = cuda.to_backend(qkv.data(), qkv.size(), Buffer::kQkv);
  float* context = cuda.buffer(Buffer::kContext, rows * width);
  cuda.attention(s.shape(causal), dqkv, context);
  const auto got = host_copy(cuda, context, rows * width);
  ASSERT_TRUE(cuda.status().ok()) << what << ": " << cuda.status().message();
  std::vector<float> want(rows * width);
  cpu_backend().attention(s.shape(causal), qkv.data(), want.data());
  expect_near(got, want, 8e-3f, 8e-3f, what);

  // attention_rows: the last row of each sequence (causal: it sees them all), and the first.
  for (bool last : {true, false}) {
    std::vector<int64_t> query_rows;
    for (int64_t seq = 0; seq < s.count(); ++seq) {
      query_rows.push_back(last ? s.offsets[seq + 1] - 1 : s.offsets[seq]);
    }
    float* pooled = cuda.buffer(Buffer::kPooled, s.count() * width);
    cuda.attention_rows(s.shape(causal), query_rows.data(), dqkv, pooled);
    const auto got_rows = host_copy(cuda, pooled, s.count() * width);
    ASSERT_TRUE(cuda.status().ok()) << what << ": " << cuda.status().message();
    std::vector<float> want_rows(s.count() * width);
    cpu_backend().attention_rows(s.shape(causal), query_rows.data(), qkv.data(), want_rows.data());
    expect_near(got_rows, want_rows, 8e-3f, 8e-3f,
                what + (last ? ", attention_rows (last rows)" : ", attention_rows (first rows)"));
  }
}

TEST(CudaAttention, ImagesOfB32B16AndL14) {
  CLIPSEARCH_NEED_GPU();
  expect_attention(cuda, of_lengths(12, 64, {50, 50, 50, 50, 50}), false, 30, "B/32, 5 images");
  expect_attention(cuda, of_lengths(12, 64, {197, 197, 197}), false, 31, "B/16, 3 images");
  expect_attention(cuda, of_lengths(16, 64, {257, 257}), false, 32, "L/14, 2 images");
  expect_attention(cuda, of_lengths(12, 64, {197}), false, 33, "B/16, 1 image");
}

TEST(CudaAttention, TextsOfEveryLengthCausal) {
  CLIPSEARCH_NEED_GPU();
  // Lengths 1..77 in one pass: B/32's text tower (512 wide, 8 heads) and L/14's (768, 12).
  std::vector<int64_t> lengths;
  for (int64_t len = 1; len <= 77; len += 4) lengths.push_back(len);
  lengths.push_back(77);
  expect_attention(cuda, of_lengths(8, 64, lengths), true, 34, "B/32 text, lengths 1..77");
  expect_attention(cuda, of_lengths(12, 64, {77, 3, 40}), true, 35, "L/14 text");
  // Equal lengths and causal: the cuBLAS path's mask.
  expect_attention(cuda, of_lengths(8, 64, {77, 77, 77}), true, 36, "texts of 77 tokens");
}

TEST(CudaAttention, UnequalImagesTakeTheFusedPathNonCausal) {
  CLIPSEARCH_NEED_GPU();
  expect_attention(cuda, of_lengths(12, 64, {197, 50, 257}), false, 37, "unequal lengths");
}

}  // namespace
}  // namespace clipsearch::cuda::testing
