// The helpers of the automatic mask generator, after sam2/utils/amg.py (and the predictor's
// small-region post-processing it relies on): crops, the point grid, boxes of masks, crop-edge
// tests, run-length encodings, small regions. Plain loops over bytes and floats, no LibTorch.
#pragma once
#include <array>
#include <cstdint>
#include <vector>

namespace sam {

// A crop box in image pixels, [x0, x1) x [y0, y1), of crop layer `layer` (0: the whole image).
struct Crop {
  int32_t x0, y0, x1, y1;
  int32_t layer;
  int32_t width() const { return x1 - x0; }
  int32_t height() const { return y1 - y0; }
};

// amg.generate_crop_boxes: the whole image, then layer i cut into 2^i x 2^i overlapping crops,
// column-major (x outer, y inner); Python's int() truncations and float divisions kept.
std::vector<Crop> crop_boxes(int32_t width, int32_t height, int32_t layers, double overlap_ratio);

// amg.build_point_grid: n x n cell centres in [0, 1]^2, rows of x for each y, as numpy's
// linspace computes them (start + i * step, the last one exactly the end).
std::vector<std::array<double, 2>> point_grid(int64_t n);

// SAM2Transforms.postprocess_masks with max_hole_area = max_sprinkle_area = max_area, on one
// low-resolution map in place.
void fill_small_regions(float* logits, int64_t side, float threshold, int64_t max_area, std::vector<uint8_t>& scratch);

// amg.batched_mask_to_box for one mask: first and last column and row inside (inclusive);
// [0, 0, 0, 0] for an empty mask.
std::array<int32_t, 4> mask_box(const uint8_t* mask, int32_t width, int32_t height);

// amg.is_box_near_crop_edge: a side within the tolerance of a crop side that is not an image side.
bool near_crop_edge(const std::array<int32_t, 4>& box, const Crop& crop, int32_t width, int32_t height);

// COCO's uncompressed RLE of the crop's mask placed in the whole image (amg.uncrop_masks then
// mask_to_rle_pytorch): column-major runs, the first one of zeros (possibly empty).
std::vector<uint32_t> uncropped_rle(const uint8_t* mask, const Crop& crop, int32_t width, int32_t height,
                                    int64_t* area);

// amg.remove_small_regions as SamAutomaticMaskGenerator uses it (OpenCV's 8-connected
// components): mode holes fills background regions smaller than `min_area`; mode islands
// drops foreground regions smaller than it, keeping the largest one if all are. True if the
// mask changed.
bool remove_small_regions(std::vector<uint8_t>& mask, int64_t height, int64_t width, int64_t min_area, bool holes);

// Row-major mask of COCO's column-major uncompressed RLE.
std::vector<uint8_t> rle_to_mask(const std::vector<uint32_t>& counts, int32_t width, int32_t height);

}  // namespace sam
