// The automatic mask generator ("segment everything"; sam2/automatic_mask_generator.py,
// SAM2AutomaticMaskGenerator, with sam2/utils/amg.py): a grid of single foreground points over
// the image and over crops of it, every point decoded into candidate masks, candidates kept by
// predicted IoU and stability score, away from crop edges, and de-duplicated by box NMS within
// each crop and across crops.
//
// Differences in the work, not in the results: candidates are filtered by predicted IoU before
// any upsampling, the stability score counts are taken while upsampling without storing the
// float masks, and masks become run-length encodings at once.
//
// min_mask_region_area, SAM 2 family: as SAM2AutomaticMaskGenerator passes it to its predictor
// (max_hole_area = max_sprinkle_area), background components of the low-resolution logits with
// at most that many pixels are filled (logit 10), then foreground components of at most that
// many pixels removed (logit -10), before upsampling (8-connectivity; the predictor's threshold
// 0 defines them, whatever mask_threshold says; the reference needs its CUDA extension sam2._C
// for this and skips it without). SAM 1 family: the
// official SamAutomaticMaskGenerator's postprocess_small_regions on the final full-size masks.
//
// Crops: every crop runs set_image on its pixels, so the predictor holds the last crop's
// embedding afterwards (the reference leaves its predictor reset); set the image again to
// prompt it.
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <vector>

#include "model/predictor.h"
#include "model/presets.h"

namespace sam {

// Where a run stands: grid points decoded of all of the run's, crops finished of all.
struct AutomaticMaskProgress {
  int32_t points_done = 0, points_total = 0, crops_done = 0, crops_total = 0;
};

struct AutomaticMaskOptions {
  int32_t points_per_side = 32;
  int32_t points_per_batch = 64;
  float pred_iou_thresh = 0.8f;
  float stability_score_thresh = 0.95f;
  float stability_score_offset = 1.0f;
  float mask_threshold = 0.0f;
  float box_nms_thresh = 0.7f;
  int32_t crop_n_layers = 0;
  float crop_nms_thresh = 0.7f;
  double crop_overlap_ratio = 512.0 / 1500.0;
  int32_t crop_n_points_downscale_factor = 1;
  int32_t min_mask_region_area = 0;
  bool use_m2m = false;           // SAM 2 only
  bool multimask_output = true;   // SAM 2 only (SAM 1 always asks for three)
  // Called before the first batch, after every batch of points and every crop; false stops the run
  // (generate_automatic_masks throws Error(SAM_CANCELLED)). Empty: no reports.
  std::function<bool(const AutomaticMaskProgress&)> progress;

  // Where the family's own generator differs, set by default_automatic_mask_options:
  // SamAutomaticMaskGenerator (SAM 1) always decodes three candidates and has no m2m step, and
  // applies min_mask_region_area to its final full-size masks; SAM2AutomaticMaskGenerator hands
  // it to its predictor, which cleans the low-resolution logits.
  bool three_candidates_always = false;
  bool has_m2m = true;
  enum class SmallRegions { InLowResLogits, InFinalMasks } small_regions = SmallRegions::InLowResLogits;
};

// The official generator's defaults for the model family (SAM 1: pred_iou_thresh 0.88).
AutomaticMaskOptions default_automatic_mask_options(Family family);

struct AutomaticMask {
  std::vector<uint32_t> rle;        // uncompressed COCO counts: column-major, zeros first
  int64_t area = 0;
  std::array<float, 4> bbox{};      // x, y, w, h (w = last column - first column, as the reference)
  float predicted_iou = 0, stability_score = 0;
  std::array<float, 2> point{};     // the grid point, in image pixels
  std::array<int32_t, 4> crop_box{};  // x, y, w, h
};

// Throws sam::Error(SAM_ERROR_ARGUMENT) for invalid options or image.
std::vector<AutomaticMask> generate_automatic_masks(Predictor& predictor, const uint8_t* rgb, int32_t width,
                                                    int32_t height, const AutomaticMaskOptions& options);

}  // namespace sam
