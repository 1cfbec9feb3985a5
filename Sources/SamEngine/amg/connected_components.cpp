#include "amg/connected_components.h"

#include <cstddef>

namespace sam {

Components connected_components(const uint8_t* mask, int64_t height, int64_t width) {
  Components out;
  const int64_t pixels = height * width;
  out.labels.assign(static_cast<size_t>(pixels), 0);
  out.areas.assign(1, 0);
  std::vector<int64_t> stack;
  for (int64_t start = 0; start < pixels; ++start) {
    if (!mask[start]) {
      ++out.areas[0];
      continue;
    }
    if (out.labels[start]) continue;
    // A new component: flood it from its first pixel in raster order.
    const int32_t label = ++out.count;
    int64_t area = 0;
    out.labels[start] = label;
    stack.push_back(start);
    while (!stack.empty()) {
      const int64_t index = stack.back();
      stack.pop_back();
      ++area;
      const int64_t y = index / width, x = index % width;
      for (int64_t dy = -1; dy <= 1; ++dy) {
        const int64_t ny = y + dy;
        if (ny < 0 || ny >= height) continue;
        for (int64_t dx = -1; dx <= 1; ++dx) {
          const int64_t nx = x + dx;
          if (nx < 0 || nx >= width) continue;
          const int64_t neighbour = ny * width + nx;
          if (mask[neighbour] && !out.labels[neighbour]) {
            out.labels[neighbour] = label;
            stack.push_back(neighbour);
          }
        }
      }
    }
    out.areas.push_back(area);
  }
  return out;
}

}  // namespace sam
