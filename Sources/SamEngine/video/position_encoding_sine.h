// Sine position encodings of SAM 2's memory path (sam2/modeling/position_encoding.py
// PositionEmbeddingSine, sam2_utils.py get_1d_sine_pe), computed in float32 with the same
// operations as the reference.
#pragma once
#include <ATen/ATen.h>

namespace sam {

// PositionEmbeddingSine(channels, normalize=True, temperature=10000) of an h x w grid:
// [1, channels, h, w], the y half first.
at::Tensor sine_position_encoding(int64_t channels, int64_t height, int64_t width);

// get_1d_sine_pe: positions [N] (float) -> [N, dim], sines then cosines.
at::Tensor sine_encoding_1d(const at::Tensor& positions, int64_t dim);

}  // namespace sam
