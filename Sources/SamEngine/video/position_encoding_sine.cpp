#include "video/position_encoding_sine.h"

#include <cmath>

namespace sam {
namespace {

constexpr double kTemperature = 10000.0;

// temperature ** (2 * (i // 2) / n) for i in [0, n), as float32.
at::Tensor frequency_divisors(int64_t n) {
  const at::Tensor i = at::arange(n, at::kFloat);
  return at::pow(kTemperature, at::floor_divide(i, 2).mul(2).div(static_cast<double>(n)));
}

// [..., n] angles -> sin of the even channels interleaved with cos of the odd ones.
at::Tensor interleave_sin_cos(const at::Tensor& angles) {
  using at::indexing::None;
  using at::indexing::Slice;
  const at::Tensor even = angles.index({"...", Slice(0, None, 2)}).sin();
  const at::Tensor odd = angles.index({"...", Slice(1, None, 2)}).cos();
  return at::stack({even, odd}, angles.dim()).flatten(angles.dim() - 1);
}

}  // namespace

at::Tensor sine_position_encoding(int64_t channels, int64_t height, int64_t width) {
  const int64_t n = channels / 2;
  const double scale = 2 * M_PI;
  const double eps = 1e-6;
  at::Tensor y = at::arange(1, height + 1, at::kFloat).view({height, 1}).expand({height, width});
  at::Tensor x = at::arange(1, width + 1, at::kFloat).view({1, width}).expand({height, width});
  y = y / (static_cast<double>(height) + eps) * scale;
  x = x / (static_cast<double>(width) + eps) * scale;
  const at::Tensor divisors = frequency_divisors(n);
  const at::Tensor pos_x = interleave_sin_cos(x.unsqueeze(-1) / divisors);
  const at::Tensor pos_y = interleave_sin_cos(y.unsqueeze(-1) / divisors);
  return at::cat({pos_y, pos_x}, 2).permute({2, 0, 1}).unsqueeze(0).contiguous();
}

at::Tensor sine_encoding_1d(const at::Tensor& positions, int64_t dim) {
  const at::Tensor angles = positions.unsqueeze(-1) / frequency_divisors(dim / 2);
  return at::cat({angles.sin(), angles.cos()}, -1);
}

}  // namespace sam
