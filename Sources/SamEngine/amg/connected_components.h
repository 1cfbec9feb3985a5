// Connected components of a binary image with 8-connectivity (a pixel touches the eight around
// it), as OpenCV's connectedComponentsWithStats(image, 8) and SAM 2's CUDA kernel
// (sam2/csrc/connected_components.cu) find them. Labels are numbered in raster order of each
// component's first pixel; OpenCV numbers by each component's first 2x2 block instead, which
// remove_small_regions (amg.cpp) follows where the order decides.
#pragma once
#include <cstdint>
#include <vector>

namespace sam {

struct Components {
  std::vector<int32_t> labels;  // height * width: 0 for pixels outside `mask`, else 1..count
  std::vector<int64_t> areas;   // count + 1 entries: areas[label]; areas[0] counts the outside
  int32_t count = 0;
};

// mask: height x width bytes, nonzero inside.
Components connected_components(const uint8_t* mask, int64_t height, int64_t width);

}  // namespace sam
