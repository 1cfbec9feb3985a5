#include "kernels/vector_kernels.h"

#include <cmath>
#include <vector>

#include "kernels/avx2_support.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define SAM_VECTOR_KERNELS 1
#define SAM_AVX2_FMA __attribute__((target("avx2,fma")))
#endif

namespace sam {
namespace {

bool use_kernels(const at::Tensor& x) {
  return avx2_kernels_available() && x.device().is_cpu() && x.scalar_type() == at::kFloat && x.is_contiguous();
}

#ifdef SAM_VECTOR_KERNELS

// erf(z) ~ z P(z^2) / Q(z^2) on [-4, 4], erf(+-4) = +-1 in float beyond. Fitted by
// tools/fit_erf.py (relative error under 1e-7 in double, under 4e-7 absolute in float).
constexpr float kErfP[] = {1.128379135e+00f, 2.024064729e-01f,  5.088587887e-02f, 3.790763151e-03f,
                           1.426488588e-04f, -1.929256789e-06f, 1.929949206e-08f};
constexpr float kErfQ[] = {1.000000000e+00f, 5.127100108e-01f, 1.160079027e-01f, 1.454953964e-02f,
                           9.732672639e-04f};

SAM_AVX2_FMA inline __m256 gelu8(__m256 x) {
  const __m256 z = _mm256_max_ps(_mm256_min_ps(_mm256_mul_ps(x, _mm256_set1_ps(0.70710678118654752f)),
                                               _mm256_set1_ps(4.0f)),
                                 _mm256_set1_ps(-4.0f));
  const __m256 t = _mm256_mul_ps(z, z);
  __m256 p = _mm256_set1_ps(kErfP[6]);
  for (int i = 5; i >= 0; --i) p = _mm256_fmadd_ps(t, p, _mm256_set1_ps(kErfP[i]));
  __m256 q = _mm256_set1_ps(kErfQ[4]);
  for (int i = 3; i >= 0; --i) q = _mm256_fmadd_ps(t, q, _mm256_set1_ps(kErfQ[i]));
  const __m256 erf = _mm256_div_ps(_mm256_mul_ps(z, p), q);
  const __m256 half_x = _mm256_mul_ps(x, _mm256_set1_ps(0.5f));
  return _mm256_fmadd_ps(half_x, erf, half_x);  // x (1 + erf(x / sqrt 2)) / 2
}

// exp(x): x = n ln 2 + r with |r| <= ln 2 / 2, exp(r) by its Taylor series to r^7 (relative
// error 5e-9 before rounding), times 2^n through the exponent bits. Inputs are clamped to where
// the result is a normal float: below, exp is under 1e-38, which a softmax sum cannot tell from 0.
SAM_AVX2_FMA inline __m256 exp8(__m256 x) {
  x = _mm256_max_ps(_mm256_min_ps(x, _mm256_set1_ps(88.0f)), _mm256_set1_ps(-87.33f));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);  // ln 2 in two parts
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  constexpr float kInverseFactorials[] = {1.0f,         1.0f,          1.0f / 2,    1.0f / 6,
                                          1.0f / 24,    1.0f / 120,    1.0f / 720,  1.0f / 5040};
  __m256 p = _mm256_set1_ps(kInverseFactorials[7]);
  for (int i = 6; i >= 0; --i) p = _mm256_fmadd_ps(r, p, _mm256_set1_ps(kInverseFactorials[i]));
  const __m256i exponent = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(exponent));
}

SAM_AVX2_FMA inline float horizontal_sum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// Lanes [0, count) of a vector, for a row's last, partial vector.
SAM_AVX2_FMA inline __m256i first_lanes(int64_t count) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(count)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// Mean and reciprocal standard deviation of a row of `channels` (a multiple of 8) floats.
SAM_AVX2_FMA inline void row_moments(const float* row, int64_t channels, float eps, float& mean, float& rstd) {
  __m256 sum = _mm256_setzero_ps();
  for (int64_t c = 0; c < channels; c += 8) sum = _mm256_add_ps(sum, _mm256_loadu_ps(row + c));
  mean = horizontal_sum(sum) / static_cast<float>(channels);
  const __m256 centre = _mm256_set1_ps(mean);
  __m256 squares = _mm256_setzero_ps();
  for (int64_t c = 0; c < channels; c += 8) {
    const __m256 d = _mm256_sub_ps(_mm256_loadu_ps(row + c), centre);
    squares = _mm256_fmadd_ps(d, d, squares);
  }
  rstd = 1.0f / std::sqrt(horizontal_sum(squares) / static_cast<float>(channels) + eps);
}

SAM_AVX2_FMA void layer_norm_rows_avx2(const float* x, int64_t rows, int64_t channels, const float* weight,
                                       const float* bias, float eps, float* normed, int64_t normed_stride,
                                       const float* addend, int64_t addend_stride, float* with_addend,
                                       int64_t with_addend_stride, float* means, float* rstds) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = x + r * channels;
    float mean, rstd;
    row_moments(row, channels, eps, mean, rstd);
    if (means) means[r] = mean;
    if (rstds) rstds[r] = rstd;
    const __m256 centre = _mm256_set1_ps(mean), scale = _mm256_set1_ps(rstd);
    float* out = normed + r * normed_stride;
    float* out_plus = with_addend + r * with_addend_stride;
    const float* add = addend + r * addend_stride;
    for (int64_t c = 0; c < channels; c += 8) {
      const __m256 n = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(row + c), centre), scale);
      const __m256 y = _mm256_fmadd_ps(n, _mm256_loadu_ps(weight + c), _mm256_loadu_ps(bias + c));
      _mm256_storeu_ps(out + c, y);
      _mm256_storeu_ps(out_plus + c, _mm256_add_ps(y, _mm256_loadu_ps(add + c)));
    }
  }
}

SAM_AVX2_FMA void gelu_avx2(float* x, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, gelu8(_mm256_loadu_ps(x + i)));
  if (i < n) {
    const __m256i lanes = first_lanes(n - i);
    _mm256_maskstore_ps(x + i, lanes, gelu8(_mm256_maskload_ps(x + i, lanes)));
  }
}

SAM_AVX2_FMA void layer_norm_gelu_avx2(float* x, int64_t rows, int64_t channels, const float* weight,
                                       const float* bias, float eps) {
  for (int64_t r = 0; r < rows; ++r) {
    float* row = x + r * channels;
    float row_mean, row_rstd;
    row_moments(row, channels, eps, row_mean, row_rstd);
    const __m256 mean = _mm256_set1_ps(row_mean), rstd = _mm256_set1_ps(row_rstd);
    for (int64_t c = 0; c < channels; c += 8) {
      const __m256 normed = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(row + c), mean), rstd);
      const __m256 y = _mm256_fmadd_ps(normed, _mm256_loadu_ps(weight + c), _mm256_loadu_ps(bias + c));
      _mm256_storeu_ps(row + c, gelu8(y));
    }
  }
}

// Softmax over n vectors of 8 columns, `stride` floats apart.
SAM_AVX2_FMA inline void softmax_across_vectors(float* column, int64_t n, int64_t stride) {
  constexpr int64_t kHeld = 16;  // up to this many rows stay in registers between the passes
  if (n <= kHeld) {
    __m256 e[kHeld];
    __m256 max = _mm256_loadu_ps(column);
    for (int64_t i = 0; i < n; ++i) {
      e[i] = _mm256_loadu_ps(column + i * stride);
      max = _mm256_max_ps(max, e[i]);
    }
    __m256 sum = _mm256_setzero_ps();
    for (int64_t i = 0; i < n; ++i) {
      e[i] = exp8(_mm256_sub_ps(e[i], max));
      sum = _mm256_add_ps(sum, e[i]);
    }
    const __m256 scale = _mm256_div_ps(_mm256_set1_ps(1.0f), sum);
    for (int64_t i = 0; i < n; ++i) _mm256_storeu_ps(column + i * stride, _mm256_mul_ps(e[i], scale));
    return;
  }
  __m256 max = _mm256_loadu_ps(column);
  for (int64_t i = 1; i < n; ++i) max = _mm256_max_ps(max, _mm256_loadu_ps(column + i * stride));
  __m256 sum = _mm256_setzero_ps();
  for (int64_t i = 0; i < n; ++i) {
    const __m256 e = exp8(_mm256_sub_ps(_mm256_loadu_ps(column + i * stride), max));
    _mm256_storeu_ps(column + i * stride, e);
    sum = _mm256_add_ps(sum, e);
  }
  const __m256 scale = _mm256_div_ps(_mm256_set1_ps(1.0f), sum);
  for (int64_t i = 0; i < n; ++i) {
    float* at = column + i * stride;
    _mm256_storeu_ps(at, _mm256_mul_ps(_mm256_loadu_ps(at), scale));
  }
}

SAM_AVX2_FMA void column_softmax_avx2(float* x, int64_t matrices, int64_t n, int64_t columns) {
  const int64_t full = columns / 8 * 8;
  for (int64_t m = 0; m < matrices; ++m) {
    float* matrix = x + m * n * columns;
    for (int64_t c = 0; c < full; c += 8) softmax_across_vectors(matrix + c, n, columns);
    if (full < columns) {
      // The last few columns through a block of whole vectors (masked stores are slow on AMD).
      std::vector<float> block(static_cast<size_t>(n) * 8, 0.0f);
      for (int64_t i = 0; i < n; ++i)
        for (int64_t c = full; c < columns; ++c) block[i * 8 + (c - full)] = matrix[i * columns + c];
      softmax_across_vectors(block.data(), n, 8);
      for (int64_t i = 0; i < n; ++i)
        for (int64_t c = full; c < columns; ++c) matrix[i * columns + c] = block[i * 8 + (c - full)];
    }
  }
}

#endif

}  // namespace

void gelu_in_place(at::Tensor& x) {
#ifdef SAM_VECTOR_KERNELS
  if (use_kernels(x)) return gelu_avx2(x.data_ptr<float>(), x.numel());
#endif
  at::gelu_(x);
}

void layer_norm_gelu_in_place(at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias, double eps) {
  const int64_t channels = x.size(-1);
#ifdef SAM_VECTOR_KERNELS
  if (use_kernels(x) && channels % 8 == 0 && weight.is_contiguous() && bias.is_contiguous()) {
    return layer_norm_gelu_avx2(x.data_ptr<float>(), x.numel() / channels, channels, weight.data_ptr<float>(),
                                bias.data_ptr<float>(), static_cast<float>(eps));
  }
#endif
  x.copy_(at::gelu(at::layer_norm(x, {channels}, weight, bias, eps)));
}

void layer_norm_rows(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias, double eps,
                     at::Tensor& normed, const at::Tensor& addend, at::Tensor& with_addend, at::Tensor& mean,
                     at::Tensor& rstd) {
  const int64_t rows = x.size(0), channels = x.size(1);
#ifdef SAM_VECTOR_KERNELS
  auto rows_contiguous = [&](const at::Tensor& t) { return t.dim() == 2 && t.stride(1) == 1; };
  auto column = [](const at::Tensor& t) { return !t.defined() || t.is_contiguous(); };
  if (use_kernels(x) && channels % 8 == 0 && weight.is_contiguous() && bias.is_contiguous() &&
      rows_contiguous(normed) && rows_contiguous(addend) && rows_contiguous(with_addend) && column(mean) &&
      column(rstd)) {
    return layer_norm_rows_avx2(x.data_ptr<float>(), rows, channels, weight.data_ptr<float>(), bias.data_ptr<float>(),
                                static_cast<float>(eps), normed.data_ptr<float>(), normed.stride(0),
                                addend.data_ptr<float>(), addend.stride(0), with_addend.data_ptr<float>(),
                                with_addend.stride(0), mean.defined() ? mean.data_ptr<float>() : nullptr,
                                rstd.defined() ? rstd.data_ptr<float>() : nullptr);
  }
#endif
  const auto [out, row_mean, row_rstd] = at::native_layer_norm(x, {channels}, weight, bias, eps);
  normed.copy_(out);
  at::add_out(with_addend, normed, addend);
  if (mean.defined()) mean.copy_(row_mean.view({rows, 1}));
  if (rstd.defined()) rstd.copy_(row_rstd.view({rows, 1}));
}

void column_softmax_in_place(at::Tensor& x) {
  const int64_t n = x.size(-2), columns = x.size(-1);
#ifdef SAM_VECTOR_KERNELS
  if (use_kernels(x) && n > 0 && columns > 0) {
    return column_softmax_avx2(x.data_ptr<float>(), x.numel() / (n * columns), n, columns);
  }
#endif
  x.copy_(at::softmax(x, -2));
}

}  // namespace sam
