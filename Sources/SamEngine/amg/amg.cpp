#include "amg/amg.h"

#include <algorithm>
#include <cmath>

#include "amg/connected_components.h"

namespace sam {
namespace {
// Boxes within this many pixels of a crop edge that is not an image edge are cut by the crop.
constexpr float kCropEdgeTolerance = 20.0f;
// What the SAM 2 predictor writes into filled holes and removed sprinkles (threshold +- this).
constexpr float kRegionFillLogit = 10.0f;
}  // namespace

// amg.generate_crop_boxes: the whole image, then layer i cut into 2^i x 2^i overlapping crops,
// column-major (x outer, y inner); Python's int() truncations and float divisions kept.
std::vector<Crop> crop_boxes(int32_t width, int32_t height, int32_t layers, double overlap_ratio) {
  std::vector<Crop> crops = {{0, 0, width, height, 0}};
  const int32_t short_side = std::min(width, height);
  auto crop_length = [](int64_t length, int64_t crops_per_side, int64_t overlap) {
    return static_cast<int64_t>(
        std::ceil(static_cast<double>(overlap * (crops_per_side - 1) + length) / static_cast<double>(crops_per_side)));
  };
  for (int32_t layer = 0; layer < layers; ++layer) {
    const int64_t per_side = int64_t{1} << (layer + 1);
    const int64_t overlap =
        static_cast<int64_t>(overlap_ratio * short_side * (2.0 / static_cast<double>(per_side)));
    const int64_t crop_w = crop_length(width, per_side, overlap), crop_h = crop_length(height, per_side, overlap);
    for (int64_t i = 0; i < per_side; ++i) {
      for (int64_t j = 0; j < per_side; ++j) {
        const int64_t x0 = (crop_w - overlap) * i, y0 = (crop_h - overlap) * j;
        crops.push_back({static_cast<int32_t>(x0), static_cast<int32_t>(y0),
                         static_cast<int32_t>(std::min<int64_t>(x0 + crop_w, width)),
                         static_cast<int32_t>(std::min<int64_t>(y0 + crop_h, height)), layer + 1});
      }
    }
  }
  return crops;
}

// amg.build_point_grid: n x n cell centres in [0, 1]^2, rows of x for each y, as numpy's
// linspace computes them (start + i * step, the last one exactly the end).
std::vector<std::array<double, 2>> point_grid(int64_t n) {
  const double offset = 1.0 / (2.0 * static_cast<double>(n));
  std::vector<double> side(static_cast<size_t>(n));
  const double step = n > 1 ? ((1.0 - offset) - offset) / static_cast<double>(n - 1) : 0.0;
  for (int64_t i = 0; i < n; ++i) side[i] = static_cast<double>(i) * step + offset;
  if (n > 1) side[n - 1] = 1.0 - offset;
  std::vector<std::array<double, 2>> points;
  for (int64_t y = 0; y < n; ++y)
    for (int64_t x = 0; x < n; ++x) points.push_back({side[x], side[y]});
  return points;
}

// SAM2Transforms.postprocess_masks with max_hole_area = max_sprinkle_area = max_area, on one
// low-resolution map in place.
void fill_small_regions(float* logits, int64_t side, float threshold, int64_t max_area, std::vector<uint8_t>& scratch) {
  const int64_t pixels = side * side;
  scratch.resize(static_cast<size_t>(pixels));
  for (int64_t i = 0; i < pixels; ++i) scratch[i] = logits[i] <= threshold;
  Components holes = connected_components(scratch.data(), side, side);
  for (int64_t i = 0; i < pixels; ++i) {
    const int32_t label = holes.labels[i];
    if (label > 0 && holes.areas[label] <= max_area) logits[i] = threshold + kRegionFillLogit;
  }
  for (int64_t i = 0; i < pixels; ++i) scratch[i] = logits[i] > threshold;
  Components sprinkles = connected_components(scratch.data(), side, side);
  for (int64_t i = 0; i < pixels; ++i) {
    const int32_t label = sprinkles.labels[i];
    if (label > 0 && sprinkles.areas[label] <= max_area) logits[i] = threshold - kRegionFillLogit;
  }
}

// amg.batched_mask_to_box for one mask: first and last column and row inside (inclusive);
// [0, 0, 0, 0] for an empty mask.
std::array<int32_t, 4> mask_box(const uint8_t* mask, int32_t width, int32_t height) {
  int32_t left = width, top = height, right = -1, bottom = -1;
  for (int32_t y = 0; y < height; ++y) {
    const uint8_t* row = mask + static_cast<int64_t>(y) * width;
    for (int32_t x = 0; x < width; ++x) {
      if (!row[x]) continue;
      left = std::min(left, x);
      right = std::max(right, x);
      top = std::min(top, y);
      bottom = std::max(bottom, y);
    }
  }
  if (right < 0) return {0, 0, 0, 0};
  return {left, top, right, bottom};
}

// amg.is_box_near_crop_edge: a side within the tolerance of a crop side that is not an image side.
bool near_crop_edge(const std::array<int32_t, 4>& box, const Crop& crop, int32_t width, int32_t height) {
  const float uncropped[4] = {static_cast<float>(box[0] + crop.x0), static_cast<float>(box[1] + crop.y0),
                              static_cast<float>(box[2] + crop.x0), static_cast<float>(box[3] + crop.y0)};
  const float crop_sides[4] = {static_cast<float>(crop.x0), static_cast<float>(crop.y0), static_cast<float>(crop.x1),
                               static_cast<float>(crop.y1)};
  const float image_sides[4] = {0.0f, 0.0f, static_cast<float>(width), static_cast<float>(height)};
  for (int i = 0; i < 4; ++i) {
    const bool at_crop = std::abs(uncropped[i] - crop_sides[i]) <= kCropEdgeTolerance;
    const bool at_image = std::abs(uncropped[i] - image_sides[i]) <= kCropEdgeTolerance;
    if (at_crop && !at_image) return true;
  }
  return false;
}

// COCO's uncompressed RLE of the crop's mask placed in the whole image (amg.uncrop_masks then
// mask_to_rle_pytorch): column-major runs, the first one of zeros (possibly empty).
std::vector<uint32_t> uncropped_rle(const uint8_t* mask, const Crop& crop, int32_t width, int32_t height,
                                    int64_t* area) {
  std::vector<uint32_t> counts;
  uint8_t current = 0;
  uint32_t run = 0;
  int64_t inside = 0;
  for (int32_t x = 0; x < width; ++x) {
    const bool column_in_crop = x >= crop.x0 && x < crop.x1;
    for (int32_t y = 0; y < height; ++y) {
      const uint8_t value = column_in_crop && y >= crop.y0 && y < crop.y1
                                ? mask[static_cast<int64_t>(y - crop.y0) * crop.width() + (x - crop.x0)]
                                : 0;
      if (value != current) {
        counts.push_back(run);
        run = 0;
        current = value;
      }
      ++run;
      inside += value;
    }
  }
  counts.push_back(run);
  *area = inside;
  return counts;
}

// The largest region, ties going to the one OpenCV numbers first (np.argmax over its labels).
// OpenCV's 8-connected labelling (Spaghetti, on 2x2 blocks) numbers regions by the first block,
// in raster order of blocks, that holds one of their pixels, not by their first pixel; two
// regions never share a block, as all pixels of one block touch.
static int32_t first_largest_in_opencv_order(const Components& regions, int64_t height, int64_t width) {
  int64_t largest_area = 0;
  for (int32_t label = 1; label <= regions.count; ++label) largest_area = std::max(largest_area, regions.areas[label]);
  const int64_t blocks_per_row = (width + 1) / 2;
  int32_t chosen = 0;
  int64_t chosen_block = 0;
  for (int64_t y = 0; y < height; ++y) {
    for (int64_t x = 0; x < width; ++x) {
      const int32_t label = regions.labels[static_cast<size_t>(y * width + x)];
      if (label == 0 || regions.areas[label] != largest_area) continue;
      const int64_t block = (y / 2) * blocks_per_row + x / 2;
      if (chosen == 0 || block < chosen_block) {
        chosen = label;
        chosen_block = block;
      }
    }
  }
  return chosen;
}

// amg.remove_small_regions as SamAutomaticMaskGenerator uses it (OpenCV's 8-connected
// components): mode holes fills background regions smaller than `min_area`; mode islands
// drops foreground regions smaller than it, keeping the largest one if all are. True if the
// mask changed.
bool remove_small_regions(std::vector<uint8_t>& mask, int64_t height, int64_t width, int64_t min_area, bool holes) {
  std::vector<uint8_t> working(mask.size());
  for (size_t i = 0; i < mask.size(); ++i) working[i] = holes ? !mask[i] : mask[i];
  const Components regions = connected_components(working.data(), height, width);
  std::vector<char> small(static_cast<size_t>(regions.count) + 1, 0);
  bool any_small = false;
  for (int32_t label = 1; label <= regions.count; ++label) {
    small[label] = regions.areas[label] < min_area;
    any_small = any_small || small[label];
  }
  if (!any_small) return false;
  if (holes) {
    for (size_t i = 0; i < mask.size(); ++i)
      if (regions.labels[i] > 0 && small[regions.labels[i]]) mask[i] = 1;
    return true;
  }
  std::vector<char> keep(static_cast<size_t>(regions.count) + 1, 0);
  bool any_kept = false;
  for (int32_t label = 1; label <= regions.count; ++label) {
    keep[label] = !small[label];
    any_kept = any_kept || keep[label];
  }
  if (!any_kept) keep[first_largest_in_opencv_order(regions, height, width)] = 1;
  for (size_t i = 0; i < mask.size(); ++i) mask[i] = regions.labels[i] > 0 && keep[regions.labels[i]];
  return true;
}

// Row-major mask of COCO's column-major uncompressed RLE.
std::vector<uint8_t> rle_to_mask(const std::vector<uint32_t>& counts, int32_t width, int32_t height) {
  std::vector<uint8_t> mask(static_cast<size_t>(width) * height, 0);
  int64_t position = 0;
  uint8_t value = 0;
  for (uint32_t run : counts) {
    for (uint32_t i = 0; i < run; ++i, ++position)
      if (value) mask[(position % height) * width + position / height] = 1;
    value = !value;
  }
  return mask;
}

}  // namespace sam
