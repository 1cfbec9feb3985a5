#include "amg/box_nms.h"

#include <algorithm>
#include <cstddef>
#include <numeric>

namespace sam {

std::vector<int64_t> box_nms(const std::vector<BoxXYXY>& boxes, const std::vector<float>& scores,
                             float iou_threshold) {
  const size_t count = boxes.size();
  std::vector<int64_t> order(count);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return scores[a] > scores[b]; });
  std::vector<float> areas(count);
  for (size_t i = 0; i < count; ++i) areas[i] = (boxes[i][2] - boxes[i][0]) * (boxes[i][3] - boxes[i][1]);

  std::vector<char> suppressed(count, 0);
  std::vector<int64_t> keep;
  for (size_t a = 0; a < count; ++a) {
    const int64_t i = order[a];
    if (suppressed[i]) continue;
    keep.push_back(i);
    const BoxXYXY& kept = boxes[i];
    for (size_t b = a + 1; b < count; ++b) {
      const int64_t j = order[b];
      if (suppressed[j]) continue;
      const float w = std::max(0.0f, std::min(kept[2], boxes[j][2]) - std::max(kept[0], boxes[j][0]));
      const float h = std::max(0.0f, std::min(kept[3], boxes[j][3]) - std::max(kept[1], boxes[j][1]));
      const float inter = w * h;
      // Two empty boxes give 0 / 0 = NaN, which suppresses nothing, as in torchvision.
      const float iou = inter / (areas[i] + areas[j] - inter);
      if (iou > iou_threshold) suppressed[j] = 1;
    }
  }
  return keep;
}

}  // namespace sam
