// Non-maximum suppression of axis-aligned boxes with torchvision's semantics (ops.nms, and
// ops.batched_nms with a single category, which is what the automatic mask generator uses):
// boxes are visited in descending score order (a stable sort), each kept box suppresses every
// later one whose IoU with it is above the threshold. Areas are (x1 - x0) * (y1 - y0), in float.
#pragma once
#include <array>
#include <cstdint>
#include <vector>

namespace sam {

using BoxXYXY = std::array<float, 4>;

// Indices of the kept boxes, in descending score order.
std::vector<int64_t> box_nms(const std::vector<BoxXYXY>& boxes, const std::vector<float>& scores,
                             float iou_threshold);

}  // namespace sam
