// The AVX2/FMA micro-kernel shared by the CPU attention and linear kernels: a 6 x 16 tile of
// C = A B where A is row-major (any row stride) and B is packed in panels of 16 columns,
// [depth][16]. Include only from x86 builds; callers check avx2_kernels_available().
#pragma once
#include <immintrin.h>

#include <cstdint>

#define SAM_HAS_X86_KERNELS 1
#define SAM_AVX2 __attribute__((target("avx2,fma")))

namespace sam {
namespace avx2 {

constexpr int64_t kPanel = 16;      // columns per packed panel: two AVX registers
constexpr int kMicroRows = 6;       // rows per micro-tile: 12 accumulators + 2 panel registers
// c[i][0..16) = sum_k a[i * lda + k] * panel[k][0..16), for i < MR. The rows are spelled out
// (not looped over) so that the twelve accumulators are certain to live in registers.
template <int MR>
SAM_AVX2 inline void micro_tile(const float* a, int64_t lda, const float* panel, int64_t depth, float* c,
                                int64_t ldc) {
  __m256 l0 = _mm256_setzero_ps(), l1 = l0, l2 = l0, l3 = l0, l4 = l0, l5 = l0;
  __m256 h0 = l0, h1 = l0, h2 = l0, h3 = l0, h4 = l0, h5 = l0;
  const float* a0 = a;
  const float* a1 = a + lda;
  const float* a2 = a + 2 * lda;
  const float* a3 = a + 3 * lda;
  const float* a4 = a + 4 * lda;
  const float* a5 = a + 5 * lda;
#define SAM_ROW(i)                                              \
  if constexpr (MR > i) {                                       \
    const __m256 x = _mm256_broadcast_ss(a##i + k);             \
    l##i = _mm256_fmadd_ps(x, b_low, l##i);                     \
    h##i = _mm256_fmadd_ps(x, b_high, h##i);                    \
  }
  for (int64_t k = 0; k < depth; ++k) {
    const __m256 b_low = _mm256_loadu_ps(panel + k * kPanel);
    const __m256 b_high = _mm256_loadu_ps(panel + k * kPanel + 8);
    SAM_ROW(0) SAM_ROW(1) SAM_ROW(2) SAM_ROW(3) SAM_ROW(4) SAM_ROW(5)
  }
#undef SAM_ROW
#define SAM_STORE(i)                                  \
  if constexpr (MR > i) {                             \
    _mm256_storeu_ps(c + i * ldc, l##i);              \
    _mm256_storeu_ps(c + i * ldc + 8, h##i);          \
  }
  SAM_STORE(0) SAM_STORE(1) SAM_STORE(2) SAM_STORE(3) SAM_STORE(4) SAM_STORE(5)
#undef SAM_STORE
}

SAM_AVX2 inline void tile(int rows, const float* a, int64_t lda, const float* panel, int64_t depth, float* c, int64_t ldc) {
  switch (rows) {
    case 6: micro_tile<6>(a, lda, panel, depth, c, ldc); break;
    case 5: micro_tile<5>(a, lda, panel, depth, c, ldc); break;
    case 4: micro_tile<4>(a, lda, panel, depth, c, ldc); break;
    case 3: micro_tile<3>(a, lda, panel, depth, c, ldc); break;
    case 2: micro_tile<2>(a, lda, panel, depth, c, ldc); break;
    default: micro_tile<1>(a, lda, panel, depth, c, ldc); break;
  }
}

}  // namespace avx2
}  // namespace sam
