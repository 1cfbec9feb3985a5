// A fully connected layer run by the AVX2/FMA micro-kernel with its weight packed once, at
// load time. BLAS repacks the weight on every call, which costs as much as a tenth of the work
// for the row chunks that the encoder hands each thread; here a call only streams the rows.
// No LibTorch in here: plain float pointers.
#pragma once
#include <cstdint>
#include <vector>

namespace sam {

class PackedLinear {
 public:
  PackedLinear() = default;
  // weight: [out_features, in_features] row-major; bias: [out_features].
  PackedLinear(const float* weight, const float* bias, int64_t out_features, int64_t in_features);

  int64_t in_features() const { return in_; }
  int64_t out_features() const { return out_; }

  // y[r] = x[r] W^T + b, plus residual[r] when residual is not null, for r < rows; each
  // argument is row-major with the given row stride; y may be residual. Requires
  // avx2_kernels_available().
  void apply(const float* x, int64_t ldx, int64_t rows, float* y, int64_t ldy, const float* residual = nullptr,
             int64_t ldr = 0) const;
  // The same for the output features of panels [first_panel, end_panel) only (16 features a
  // panel, the last one partial), so that threads can share out a layer's features.
  void apply_panels(const float* x, int64_t ldx, int64_t rows, float* y, int64_t ldy, int64_t first_panel,
                    int64_t end_panel, const float* residual = nullptr, int64_t ldr = 0) const;
  int64_t panel_count() const { return (out_ + 15) / 16; }

 private:
  int64_t in_ = 0, out_ = 0;
  std::vector<float> panels_;  // ceil(out / 16) panels of [in][16], zero-padded
  std::vector<float> bias_;    // out rounded up to 16, zero-padded
};

}  // namespace sam
