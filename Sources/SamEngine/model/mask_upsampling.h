// Low-resolution mask logits to a binary mask of any size: bilinear interpolation with
// align_corners=False (F.interpolate's, index arithmetic in float as ATen does it) and the
// threshold (> 0) in one pass, writing bytes directly. The reference upsamples to floats and
// thresholds afterwards; the result is the same up to float rounding at the boundary.
#pragma once
#include <cstdint>

namespace sam {

// logits: in_height x in_width floats, row-major. out: out_height x out_width bytes, 1 where
// the interpolated logit is above `threshold`, else 0.
void upsample_threshold(const float* logits, int64_t in_height, int64_t in_width, uint8_t* out, int64_t out_height,
                        int64_t out_width, float threshold = 0.0f);

// The stability score's two counts without writing a mask: how many interpolated logits lie
// above `high` and how many above `low` (same interpolation as upsample_threshold).
void upsample_count_above(const float* logits, int64_t in_height, int64_t in_width, int64_t out_height,
                          int64_t out_width, float high, float low, int64_t* above_high, int64_t* above_low);

}  // namespace sam
