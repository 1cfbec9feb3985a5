#include "model/mask_upsampling.h"

#include <algorithm>
#include <vector>

#include "model/parallel_tasks.h"

namespace sam {
namespace {

// For each output index: the two source indices and the weight of the second (ATen's
// area_pixel_compute_source_index with align_corners=False, in float).
struct Taps {
  std::vector<int64_t> first, second;
  std::vector<float> weight;
};

Taps taps(int64_t in_size, int64_t out_size) {
  Taps t;
  t.first.resize(out_size);
  t.second.resize(out_size);
  t.weight.resize(out_size);
  const float scale = static_cast<float>(in_size) / static_cast<float>(out_size);
  for (int64_t i = 0; i < out_size; ++i) {
    const float source = std::max(scale * (static_cast<float>(i) + 0.5f) - 0.5f, 0.0f);
    const int64_t index = std::min(static_cast<int64_t>(source), in_size - 1);
    t.first[i] = index;
    t.second[i] = index + (index < in_size - 1 ? 1 : 0);
    t.weight[i] = source - static_cast<float>(index);
  }
  return t;
}

}  // namespace

void upsample_threshold(const float* logits, int64_t in_height, int64_t in_width, uint8_t* out, int64_t out_height,
                        int64_t out_width, float threshold) {
  const Taps rows = taps(in_height, out_height), columns = taps(in_width, out_width);
  parallel_row_chunks(out_height, 64, [&](int64_t begin, int64_t end, int64_t) {
    std::vector<float> blended(static_cast<size_t>(in_width));
    for (int64_t y = begin; y < end; ++y) {
      // Rows first (one blend of two source rows), then columns, as ATen weighs them:
      // h0 (w0 a + w1 b) + h1 (w0 c + w1 d) = w0 (h0 a + h1 c) + w1 (h0 b + h1 d).
      const float* top = logits + rows.first[y] * in_width;
      const float* bottom = logits + rows.second[y] * in_width;
      const float lower = rows.weight[y], upper = 1.0f - lower;
      for (int64_t x = 0; x < in_width; ++x) blended[x] = upper * top[x] + lower * bottom[x];
      uint8_t* row = out + y * out_width;
      for (int64_t x = 0; x < out_width; ++x) {
        const float right = columns.weight[x];
        const float value = (1.0f - right) * blended[columns.first[x]] + right * blended[columns.second[x]];
        row[x] = value > threshold ? 1 : 0;
      }
    }
  });
}

void upsample_count_above(const float* logits, int64_t in_height, int64_t in_width, int64_t out_height,
                          int64_t out_width, float high, float low, int64_t* above_high, int64_t* above_low) {
  const Taps rows = taps(in_height, out_height), columns = taps(in_width, out_width);
  std::vector<float> blended(static_cast<size_t>(in_width));
  int64_t high_count = 0, low_count = 0;
  for (int64_t y = 0; y < out_height; ++y) {
    const float* top = logits + rows.first[y] * in_width;
    const float* bottom = logits + rows.second[y] * in_width;
    const float lower = rows.weight[y], upper = 1.0f - lower;
    for (int64_t x = 0; x < in_width; ++x) blended[x] = upper * top[x] + lower * bottom[x];
    for (int64_t x = 0; x < out_width; ++x) {
      const float right = columns.weight[x];
      const float value = (1.0f - right) * blended[columns.first[x]] + right * blended[columns.second[x]];
      high_count += value > high;
      low_count += value > low;
    }
  }
  *above_high = high_count;
  *above_low = low_count;
}

}  // namespace sam
