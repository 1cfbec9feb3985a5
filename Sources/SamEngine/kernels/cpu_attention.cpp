#include "kernels/cpu_attention.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#if defined(__x86_64__) || defined(__i386__)
#include "kernels/avx2_tile.h"
#endif

namespace sam {

#ifdef SAM_HAS_X86_KERNELS
namespace {

using avx2::kMicroRows;
using avx2::kPanel;
using avx2::tile;

// Scores per row block (256 KiB): the block is reused by the softmax and the value product
// while it is still in the core's L2 cache.
constexpr int64_t kScoreBlockFloats = 64 * 1024;

// Keys transposed into panels of 16 keys: panel p is [dim][16] for keys 16p..16p+15,
// zero where the keys run out.
void pack_keys(const float* k, int64_t ldk, int64_t keys, int64_t dim, float* out) {
  const int64_t panels = (keys + kPanel - 1) / kPanel;
  for (int64_t p = 0; p < panels; ++p) {
    float* panel = out + p * dim * kPanel;
    for (int64_t j = 0; j < kPanel; ++j) {
      const int64_t key = p * kPanel + j;
      if (key < keys) {
        const float* row = k + key * ldk;
        for (int64_t d = 0; d < dim; ++d) panel[d * kPanel + j] = row[d];
      } else {
        for (int64_t d = 0; d < dim; ++d) panel[d * kPanel + j] = 0.0f;
      }
    }
  }
}

// Values in panels of 16 channels: panel p is [keys][16] for channels 16p..16p+15,
// zero where the channels run out.
void pack_values(const float* v, int64_t ldv, int64_t keys, int64_t dim, float* out) {
  const int64_t panels = (dim + kPanel - 1) / kPanel;
  for (int64_t p = 0; p < panels; ++p) {
    const int64_t first = p * kPanel, count = std::min(kPanel, dim - first);
    float* panel = out + p * keys * kPanel;
    for (int64_t t = 0; t < keys; ++t) {
      std::memcpy(panel + t * kPanel, v + t * ldv + first, count * sizeof(float));
      std::fill(panel + t * kPanel + count, panel + (t + 1) * kPanel, 0.0f);
    }
  }
}

// e^x for x <= 0 (Cephes single-precision polynomial). Inputs below -87.3 give ~1e-38
// rather than denormals, which cost far more time than they contribute to a sum >= 1.
SAM_AVX2 inline __m256 exp_nonpositive(__m256 x) {
  x = _mm256_max_ps(x, _mm256_set1_ps(-87.3f));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  const __m256i scale = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(scale));
}

SAM_AVX2 inline float horizontal_max(__m256 x) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(x), _mm256_extractf128_ps(x, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_shuffle_ps(m, m, 1));
  return _mm_cvtss_f32(m);
}

SAM_AVX2 inline float horizontal_sum(__m256 x) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(x), _mm256_extractf128_ps(x, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}

// Replaces the first n scores of a row by exp(score - max) and returns 1 / their sum; the
// row must have room for n rounded up to 8.
SAM_AVX2 float exponentiate_row(float* row, int64_t n) {
  const int64_t full = n / 8 * 8, rest = n - full;
  alignas(32) static const int32_t kLanes[8] = {0, 1, 2, 3, 4, 5, 6, 7};
  const __m256i tail_mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int32_t>(rest)),
                                               _mm256_load_si256(reinterpret_cast<const __m256i*>(kLanes)));
  const __m256 minus_inf = _mm256_set1_ps(-__builtin_inff());
  __m256 max = minus_inf;
  for (int64_t j = 0; j < full; j += 8) max = _mm256_max_ps(max, _mm256_loadu_ps(row + j));
  if (rest) max = _mm256_max_ps(max, _mm256_blendv_ps(minus_inf, _mm256_loadu_ps(row + full), _mm256_castsi256_ps(tail_mask)));
  const __m256 row_max = _mm256_set1_ps(horizontal_max(max));
  __m256 sum = _mm256_setzero_ps();
  for (int64_t j = 0; j < full; j += 8) {
    const __m256 e = exp_nonpositive(_mm256_sub_ps(_mm256_loadu_ps(row + j), row_max));
    _mm256_storeu_ps(row + j, e);
    sum = _mm256_add_ps(sum, e);
  }
  if (rest) {
    const __m256 e = _mm256_and_ps(exp_nonpositive(_mm256_sub_ps(_mm256_loadu_ps(row + full), row_max)),
                                   _mm256_castsi256_ps(tail_mask));
    _mm256_storeu_ps(row + full, e);
    sum = _mm256_add_ps(sum, e);
  }
  return 1.0f / horizontal_sum(sum);
}

}  // namespace

SAM_AVX2 void cpu_attention(const float* q, int64_t ldq, const float* k, int64_t ldk, const float* v, int64_t ldv,
                            float* out, int64_t ldo, int64_t rows, int64_t keys, int64_t dim,
                            AttentionScratch& scratch) {
  const int64_t key_panels = (keys + kPanel - 1) / kPanel, padded_keys = key_panels * kPanel;
  const int64_t value_panels = (dim + kPanel - 1) / kPanel;
  scratch.packed_keys.resize(key_panels * dim * kPanel);
  scratch.packed_values.resize(value_panels * keys * kPanel);
  pack_keys(k, ldk, keys, dim, scratch.packed_keys.data());
  pack_values(v, ldv, keys, dim, scratch.packed_values.data());

  int64_t block = std::max<int64_t>(kMicroRows, kScoreBlockFloats / padded_keys / kMicroRows * kMicroRows);
  block = std::min(block, rows);
  scratch.scores.resize(block * padded_keys);
  scratch.row_scale.resize(block);
  float* scores = scratch.scores.data();
  float* row_scale = scratch.row_scale.data();
  alignas(32) float result[kMicroRows * kPanel];

  for (int64_t first_row = 0; first_row < rows; first_row += block) {
    const int64_t count = std::min(block, rows - first_row);
    // Scores for the block, one key panel at a time so that the panel stays in L1.
    for (int64_t p = 0; p < key_panels; ++p) {
      const float* panel = scratch.packed_keys.data() + p * dim * kPanel;
      for (int64_t i = 0; i < count; i += kMicroRows) {
        tile(static_cast<int>(std::min<int64_t>(kMicroRows, count - i)), q + (first_row + i) * ldq, ldq, panel, dim,
             scores + i * padded_keys + p * kPanel, padded_keys);
      }
    }
    for (int64_t i = 0; i < count; ++i) row_scale[i] = exponentiate_row(scores + i * padded_keys, keys);
    // Weighted values; the softmax normalisation is applied to the (smaller) output.
    for (int64_t p = 0; p < value_panels; ++p) {
      const float* panel = scratch.packed_values.data() + p * keys * kPanel;
      const int64_t channel = p * kPanel, width = std::min(kPanel, dim - channel);
      for (int64_t i = 0; i < count; i += kMicroRows) {
        const int micro = static_cast<int>(std::min<int64_t>(kMicroRows, count - i));
        tile(micro, scores + i * padded_keys, padded_keys, panel, keys, result, kPanel);
        for (int r = 0; r < micro; ++r) {
          float* target = out + (first_row + i + r) * ldo + channel;
          const __m256 scale = _mm256_set1_ps(row_scale[i + r]);
          if (width == kPanel) {
            _mm256_storeu_ps(target, _mm256_mul_ps(_mm256_load_ps(result + r * kPanel), scale));
            _mm256_storeu_ps(target + 8, _mm256_mul_ps(_mm256_load_ps(result + r * kPanel + 8), scale));
          } else {
            for (int64_t j = 0; j < width; ++j) target[j] = result[r * kPanel + j] * row_scale[i + r];
          }
        }
      }
    }
  }
}

#else  // no x86 kernels

void cpu_attention(const float*, int64_t, const float*, int64_t, const float*, int64_t, float*, int64_t, int64_t,
                   int64_t, int64_t, AttentionScratch&) {
  throw std::logic_error("cpu_attention needs an x86 CPU with AVX2");
}

#endif

}  // namespace sam
