#include "model/position_encoding.h"

#include <cmath>

namespace sam {

PositionEmbeddingRandom::PositionEmbeddingRandom(Weights& weights, const std::string& prefix, int64_t channels)
    : gaussian_matrix_(weights.get(prefix + "positional_encoding_gaussian_matrix", {2, channels / 2})) {}

at::Tensor PositionEmbeddingRandom::encode_normalized(const at::Tensor& coords) const {
  // Same operations in the same order as the reference, all in float32.
  at::Tensor projected = at::matmul(2 * coords - 1, gaussian_matrix_);
  projected = projected * (2 * M_PI);
  return at::cat({at::sin(projected), at::cos(projected)}, -1);
}

at::Tensor PositionEmbeddingRandom::grid(int64_t height, int64_t width) const {
  const auto options = gaussian_matrix_.options();
  // Cell centres: (index + 0.5) / size, formed as the reference does (cumsum of ones - 0.5).
  const at::Tensor ones = at::ones({height, width}, options);
  const at::Tensor y = (ones.cumsum(0) - 0.5) / static_cast<double>(height);
  const at::Tensor x = (ones.cumsum(1) - 0.5) / static_cast<double>(width);
  return encode_normalized(at::stack({x, y}, -1)).permute({2, 0, 1}).contiguous();
}

at::Tensor PositionEmbeddingRandom::encode_pixels(const at::Tensor& coords, int64_t height, int64_t width) const {
  const at::Tensor x = coords.select(-1, 0) / static_cast<double>(width);
  const at::Tensor y = coords.select(-1, 1) / static_cast<double>(height);
  return encode_normalized(at::stack({x, y}, -1));
}

}  // namespace sam
