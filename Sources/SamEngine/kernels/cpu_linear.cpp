#include "kernels/cpu_linear.h"

#include "kernels/avx2_support.h"

#include <algorithm>
#include <stdexcept>

#if defined(__x86_64__) || defined(__i386__)
#include "kernels/avx2_tile.h"
#endif

namespace sam {

PackedLinear::PackedLinear(const float* weight, const float* bias, int64_t out_features, int64_t in_features)
    : in_(in_features), out_(out_features) {
  const int64_t panels = (out_features + 15) / 16;
  panels_.assign(panels * in_features * 16, 0.0f);
  bias_.assign(panels * 16, 0.0f);
  for (int64_t o = 0; o < out_features; ++o) {
    float* panel = panels_.data() + (o / 16) * in_features * 16 + o % 16;
    for (int64_t i = 0; i < in_features; ++i) panel[i * 16] = weight[o * in_features + i];
    bias_[o] = bias[o];
  }
}

#ifdef SAM_HAS_X86_KERNELS

bool avx2_kernels_available() {
#ifdef SAM_DISABLE_AVX2_KERNELS  // to exercise the portable paths on an AVX2 machine
  return false;
#else
  static const bool available = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return available;
#endif
}

namespace {
// Rows per block: about 256 KiB of input rows, kept in L2 while every panel passes over them.
constexpr int64_t kBlockFloats = 64 * 1024;
}  // namespace

SAM_AVX2 void PackedLinear::apply(const float* x, int64_t ldx, int64_t rows, float* y, int64_t ldy,
                                  const float* residual, int64_t ldr) const {
  apply_panels(x, ldx, rows, y, ldy, 0, panel_count(), residual, ldr);
}

SAM_AVX2 void PackedLinear::apply_panels(const float* x, int64_t ldx, int64_t rows, float* y, int64_t ldy,
                                         int64_t first_panel, int64_t end_panel, const float* residual,
                                         int64_t ldr) const {
  using avx2::kMicroRows;
  using avx2::kPanel;
  const int64_t block = std::max<int64_t>(kMicroRows, kBlockFloats / std::max<int64_t>(in_, 1) / kMicroRows * kMicroRows);
  alignas(32) float result[kMicroRows * kPanel];
  for (int64_t first_row = 0; first_row < rows; first_row += block) {
    const int64_t count = std::min(block, rows - first_row);
    for (int64_t p = first_panel; p < end_panel; ++p) {
      const float* panel = panels_.data() + p * in_ * kPanel;
      const int64_t column = p * kPanel, width = std::min(kPanel, out_ - column);
      const __m256 bias_low = _mm256_loadu_ps(bias_.data() + column);
      const __m256 bias_high = _mm256_loadu_ps(bias_.data() + column + 8);
      for (int64_t i = 0; i < count; i += kMicroRows) {
        const int micro = static_cast<int>(std::min<int64_t>(kMicroRows, count - i));
        const int64_t row = first_row + i;
        avx2::tile(micro, x + row * ldx, ldx, panel, in_, result, kPanel);
        for (int r = 0; r < micro; ++r) {
          __m256 low = _mm256_add_ps(_mm256_load_ps(result + r * kPanel), bias_low);
          __m256 high = _mm256_add_ps(_mm256_load_ps(result + r * kPanel + 8), bias_high);
          float* target = y + (row + r) * ldy + column;
          if (width == kPanel) {
            if (residual) {
              const float* add = residual + (row + r) * ldr + column;
              low = _mm256_add_ps(low, _mm256_loadu_ps(add));
              high = _mm256_add_ps(high, _mm256_loadu_ps(add + 8));
            }
            _mm256_storeu_ps(target, low);
            _mm256_storeu_ps(target + 8, high);
          } else {
            alignas(32) float values[kPanel];
            _mm256_store_ps(values, low);
            _mm256_store_ps(values + 8, high);
            for (int64_t j = 0; j < width; ++j)
              target[j] = values[j] + (residual ? residual[(row + r) * ldr + column + j] : 0.0f);
          }
        }
      }
    }
  }
}

#else

bool avx2_kernels_available() { return false; }

void PackedLinear::apply(const float*, int64_t, int64_t, float*, int64_t, const float*, int64_t) const {
  throw std::logic_error("PackedLinear::apply needs an x86 CPU with AVX2");
}

void PackedLinear::apply_panels(const float*, int64_t, int64_t, float*, int64_t, int64_t, int64_t, const float*,
                                int64_t) const {
  throw std::logic_error("PackedLinear::apply_panels needs an x86 CPU with AVX2");
}

#endif

}  // namespace sam
