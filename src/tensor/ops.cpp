#include "tensor/ops.h"

#include <algorithm>
#include <cmath>

#include <immintrin.h>

#include "core/isa.h"
#include "core/simd_target.h"
#include "core/thread_pool.h"

// glibc's libmvec: vectorized expf/erff for AVX2, accurate to a few ulp (the scalar libm calls
// compute the same functions, one lane at a time). Called directly so that no -ffast-math is
// needed; only when core/isa.h says AVX2 is active.
// Declared with the AVX2 target so that their vector arguments pass in AVX registers (clang
// refuses the call otherwise: the baseline ABI cannot pass __m256).
extern "C" CLIPSEARCH_TARGET_AVX2 __m256 _ZGVdN8v_expf(__m256 x);
extern "C" CLIPSEARCH_TARGET_AVX2 __m256 _ZGVdN8v_erff(__m256 x);

namespace clipsearch {
namespace {

constexpr int64_t kRowsPerChunk = 4;

// Sums with 16 independent partial sums so the loop vectorizes without -ffast-math; the error
// stays far below float32 rounding of the result for any layer width.
template <class Term>
float partial_sum(int64_t n, Term term) {
  constexpr int kLanes = 16;
  float partial[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int j = 0; j < kLanes; ++j) partial[j] += term(i + j);
  }
  float sum = 0;
  for (; i < n; ++i) sum += term(i);
  for (int j = 0; j < kLanes; ++j) sum += partial[j];
  return sum;
}

void layer_norm_row(const float* x, int64_t width, const float* gamma, const float* beta, float eps,
                    float* out) {
  const float inv_width = 1.0f / static_cast<float>(width);
  const float mean = partial_sum(width, [x](int64_t i) { return x[i]; }) * inv_width;
  const float var = partial_sum(width,
                                [x, mean](int64_t i) {
                                  const float d = x[i] - mean;
                                  return d * d;
                                }) *
                    inv_width;
  const float rstd = 1.0f / std::sqrt(var + eps);
  for (int64_t i = 0; i < width; ++i) out[i] = (x[i] - mean) * rstd * gamma[i] + beta[i];
}

// row[i] += bias[i]; nothing when bias is null.
void add_row_bias(float* row, int64_t width, const float* bias) {
  if (bias == nullptr) return;
  for (int64_t i = 0; i < width; ++i) row[i] += bias[i];
}

bool have_avx2() { return isa_at_least(isa_active(), Isa::kAvx2); }

// x[i] = exp(x[i]) for the whole 8s of n; returns how many were done.
CLIPSEARCH_TARGET_AVX2 int64_t exp_inplace_avx2(float* x, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, _ZGVdN8v_expf(_mm256_loadu_ps(x + i)));
  return i;
}

// x[i] = exp(x[i]).
void exp_inplace(float* x, int64_t n) {
  int64_t i = have_avx2() ? exp_inplace_avx2(x, n) : 0;
  for (; i < n; ++i) x[i] = std::exp(x[i]);
}

float quick_gelu(float x) { return x / (1.0f + std::exp(-1.702f * x)); }
float gelu(float x) { return 0.5f * x * (1.0f + std::erf(x * 0.70710678118654752440f)); }
// ref: torch.nn.functional.gelu(approximate="tanh") ("gelu_pytorch_tanh", SigLIP):
// 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), computed as x / (1 + exp(-2 sqrt(2/pi) (x +
// 0.044715 x^3))), the same function (0.5 (1 + tanh(z)) = 1 / (1 + exp(-2z))) without the
// cancellation of 1 + tanh(z) for negative x, and with the exp that the AVX2 path has.
constexpr float kGeluTanhScale = -2.0f * 0.79788456080286535588f;  // -2 sqrt(2/pi)
constexpr float kGeluTanhCubic = 0.044715f;
float gelu_tanh(float x) {
  return x / (1.0f + std::exp(kGeluTanhScale * (x + kGeluTanhCubic * (x * (x * x)))));
}

// The activation over the whole 8s of n, for the activations libmvec has; returns how many
// were done.
CLIPSEARCH_TARGET_AVX2 int64_t activation_span_avx2(float* x, int64_t n, Activation act) {
  int64_t i = 0;
  if (act == Activation::kQuickGelu) {
    const __m256 scale = _mm256_set1_ps(-1.702f);
    const __m256 one = _mm256_set1_ps(1.0f);
    for (; i + 8 <= n; i += 8) {
      __m256 v = _mm256_loadu_ps(x + i);
      __m256 e = _ZGVdN8v_expf(_mm256_mul_ps(v, scale));
      _mm256_storeu_ps(x + i, _mm256_div_ps(v, _mm256_add_ps(one, e)));
    }
  } else if (act == Activation::kRelu) {
    // ref: torch.relu; max(v, 0) gives 0 for NaN, as std::max(0.0f, v) does.
    const __m256 zero = _mm256_setzero_ps();
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, _mm256_max_ps(_mm256_loadu_ps(x + i), zero));
  } else if (act == Activation::kGelu) {
    const __m256 half = _mm256_set1_ps(0.5f);
    const __m256 one = _mm256_set1_ps(1.0f);
    const __m256 rsqrt2 = _mm256_set1_ps(0.70710678118654752440f);
    for (; i + 8 <= n; i += 8) {
      __m256 v = _mm256_loadu_ps(x + i);
      __m256 e = _ZGVdN8v_erff(_mm256_mul_ps(v, rsqrt2));
      _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_mul_ps(half, v), _mm256_add_ps(one, e)));
    }
  } else if (act == Activation::kGeluTanh) {
    const __m256 scale = _mm256_set1_ps(kGeluTanhScale);
    const __m256 cubic = _mm256_set1_ps(kGeluTanhCubic);
    const __m256 one = _mm256_set1_ps(1.0f);
    for (; i + 8 <= n; i += 8) {
      __m256 v = _mm256_loadu_ps(x + i);
      __m256 inner = _mm256_add_ps(v, _mm256_mul_ps(cubic, _mm256_mul_ps(v, _mm256_mul_ps(v, v))));
      __m256 e = _ZGVdN8v_expf(_mm256_mul_ps(scale, inner));
      _mm256_storeu_ps(x + i, _mm256_div_ps(v, _mm256_add_ps(one, e)));
    }
  }
  return i;
}

void activation_span(float* x, int64_t n, Activation act) {
  if (act == Activation::kIdentity) return;
  int64_t i = have_avx2() ? activation_span_avx2(x, n, act) : 0;
  // One loop per activation, so that the scalar level's loops vectorize where they can.
  switch (act) {
    case Activation::kQuickGelu:
      for (; i < n; ++i) x[i] = quick_gelu(x[i]);
      break;
    case Activation::kGelu:
      for (; i < n; ++i) x[i] = gelu(x[i]);
      break;
    case Activation::kGeluTanh:
      for (; i < n; ++i) x[i] = gelu_tanh(x[i]);
      break;
    case Activation::kRelu:
      for (; i < n; ++i) x[i] = std::max(0.0f, x[i]);
      break;
    case Activation::kIdentity:
      break;
  }
}

}  // namespace

void layer_norm(const float* x, int64_t rows, int64_t width, int64_t ldx, const float* gamma,
                const float* beta, float eps, float* out, int64_t ldout) {
  parallel_for(
      rows,
      [&](int64_t begin, int64_t end) {
        for (int64_t r = begin; r < end; ++r) {
          layer_norm_row(x + r * ldx, width, gamma, beta, eps, out + r * ldout);
        }
      },
      kRowsPerChunk);
}

void add_residual(float* x, int64_t rows, int64_t width, int64_t ldx, const float* y, int64_t ldy,
                  const float* bias) {
  parallel_for(
      rows,
      [&](int64_t begin, int64_t end) {
        for (int64_t r = begin; r < end; ++r) {
          float* row = x + r * ldx;
          const float* add = y + r * ldy;
          if (bias == nullptr) {
            for (int64_t i = 0; i < width; ++i) row[i] += add[i];
          } else {
            for (int64_t i = 0; i < width; ++i) row[i] += add[i] + bias[i];
          }
        }
      },
      kRowsPerChunk);
}

void bias_activation(float* x, int64_t rows, int64_t width, int64_t ldx, const float* bias,
                     Activation act) {
  parallel_for(
      rows,
      [&](int64_t begin, int64_t end) {
        for (int64_t r = begin; r < end; ++r) {
          float* row = x + r * ldx;
          add_row_bias(row, width, bias);
          activation_span(row, width, act);
        }
      },
      1);
}

void softmax_row(float* x, int64_t n) {
  float max = x[0];
  for (int64_t i = 1; i < n; ++i) max = std::max(max, x[i]);
  for (int64_t i = 0; i < n; ++i) x[i] -= max;
  exp_inplace(x, n);
  const float inv = 1.0f / partial_sum(n, [x](int64_t i) { return x[i]; });
  for (int64_t i = 0; i < n; ++i) x[i] *= inv;
}

void l2_normalize_rows(float* x, int64_t rows, int64_t width) {
  for (int64_t r = 0; r < rows; ++r) {
    float* row = x + r * width;
    double sq = 0;
    for (int64_t i = 0; i < width; ++i) sq += static_cast<double>(row[i]) * row[i];
    if (sq == 0) continue;
    const float inv = static_cast<float>(1.0 / std::sqrt(sq));
    for (int64_t i = 0; i < width; ++i) row[i] *= inv;
  }
}

}  // namespace clipsearch
