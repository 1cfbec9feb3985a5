// Positional encoding with random spatial frequencies (PositionEmbeddingRandom in
// sam2/modeling/position_encoding.py and segment_anything's prompt encoder): a point at
// normalised (x, y) in [0, 1] becomes [sin(2 pi f), cos(2 pi f)] with f = (2 (x, y) - 1) G
// for a fixed Gaussian matrix G [2, F]; channels = 2 F.
#pragma once
#include <ATen/ATen.h>

#include <string>

#include "model/weights.h"

namespace sam {

class PositionEmbeddingRandom {
 public:
  // `prefix` names the module, e.g. "sam_prompt_encoder.pe_layer."; F = channels / 2.
  PositionEmbeddingRandom(Weights& weights, const std::string& prefix, int64_t channels);

  // The encoding of every cell centre of an h x w grid: [channels, h, w].
  at::Tensor grid(int64_t height, int64_t width) const;

  // coords [..., 2] as (x, y) in pixels of a height x width frame -> [..., channels].
  at::Tensor encode_pixels(const at::Tensor& coords, int64_t height, int64_t width) const;

  int64_t channels() const { return 2 * gaussian_matrix_.size(1); }

 private:
  // coords [..., 2] normalised to [0, 1].
  at::Tensor encode_normalized(const at::Tensor& coords) const;

  at::Tensor gaussian_matrix_;  // [2, F]
};

}  // namespace sam
