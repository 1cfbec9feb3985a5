// Single-head softmax attention on the CPU with AVX2/FMA: one call computes
// out = softmax(q k^T) v for one window and head, with the scores kept in cache.
// BLAS packs its operands again on every call, which dominates for attention's short
// head dimension and small windows; here keys and values are packed once per call and the
// score matrix is processed in row blocks that stay in the core's cache.
// No LibTorch in here: plain float pointers, so that the kernels compile quickly.
#pragma once
#include <cstdint>
#include <vector>

namespace sam {

// Reusable scratch memory of one thread.
struct AttentionScratch {
  std::vector<float> packed_keys;
  std::vector<float> packed_values;
  std::vector<float> scores;
  std::vector<float> row_scale;
};

// q: rows x dim (row stride ldq), k and v: keys x dim (ldk, ldv), out: rows x dim (ldo).
// q must already carry the 1/sqrt(dim) scale. Requires avx2_kernels_available().
void cpu_attention(const float* q, int64_t ldq, const float* k, int64_t ldk, const float* v, int64_t ldv, float* out,
                   int64_t ldo, int64_t rows, int64_t keys, int64_t dim, AttentionScratch& scratch);

}  // namespace sam
