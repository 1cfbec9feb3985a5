#include "amg/automatic_masks.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <string>

#include "engine_error.h"
#include "amg/amg.h"
#include "amg/box_nms.h"
#include "model/mask_upsampling.h"
#include "model/parallel_tasks.h"

namespace sam {
namespace {

// SAM2ImagePredictor clamps the low-resolution logits it hands back (the m2m mask inputs).
constexpr float kLogitClamp = 32.0f;
// SAM2ImagePredictor's default mask threshold, which its hole and sprinkle removal uses.
constexpr float kPredictorMaskThreshold = 0.0f;

struct Candidate {
  AutomaticMask mask;
  BoxXYXY box;  // in the crop's frame until the crop is done, then in the image's
};

class Generator {
 public:
  Generator(Predictor& predictor, const uint8_t* rgb, int32_t width, int32_t height, const AutomaticMaskOptions& options)
      : predictor_(predictor), rgb_(rgb), width_(width), height_(height), options_(options),
        side_(predictor.model().low_res_size()) {}

  std::vector<AutomaticMask> run() {
    const std::vector<Crop> crops = crop_boxes(width_, height_, options_.crop_n_layers, options_.crop_overlap_ratio);
    progress_.crops_total = static_cast<int32_t>(crops.size());
    for (const Crop& crop : crops) progress_.points_total += static_cast<int32_t>(points_per_side(crop) * points_per_side(crop));
    report();
    std::vector<Candidate> all;
    for (const Crop& crop : crops) {
      std::vector<Candidate> found = process_crop(crop);
      for (Candidate& candidate : found) all.push_back(std::move(candidate));
      ++progress_.crops_done;
      report();
    }
    if (crops.size() > 1) {
      // Across crops, prefer masks from smaller crops (score 1 / crop area).
      std::vector<BoxXYXY> boxes;
      std::vector<float> scores;
      for (const Candidate& candidate : all) {
        boxes.push_back(candidate.box);
        const auto& crop = candidate.mask.crop_box;
        scores.push_back(1.0f / static_cast<float>(static_cast<int64_t>(crop[2]) * crop[3]));
      }
      all = select(std::move(all), box_nms(boxes, scores, options_.crop_nms_thresh));
    }
    if (options_.small_regions == AutomaticMaskOptions::SmallRegions::InFinalMasks &&
        options_.min_mask_region_area > 0) {
      remove_small_regions_in_final_masks(all);
    }
    std::vector<AutomaticMask> out;
    for (Candidate& candidate : all) out.push_back(std::move(candidate.mask));
    return out;
  }

 private:
  static std::vector<Candidate> select(std::vector<Candidate> from, const std::vector<int64_t>& keep) {
    std::vector<Candidate> out;
    out.reserve(keep.size());
    for (int64_t index : keep) out.push_back(std::move(from[index]));
    return out;
  }

  int64_t points_per_side(const Crop& crop) const {
    int64_t per_side = options_.points_per_side;
    for (int32_t i = 0; i < crop.layer; ++i) per_side /= options_.crop_n_points_downscale_factor;
    return per_side;
  }

  // Tells the caller where the run stands; stops it (between batches, so nothing half done
  // is returned) when the caller says so.
  void report() const {
    if (options_.progress && !options_.progress(progress_))
      throw Error(SAM_CANCELLED, "generate masks: cancelled after " + std::to_string(progress_.points_done) + " of " +
                                     std::to_string(progress_.points_total) + " points");
  }

  std::vector<Candidate> process_crop(const Crop& crop) {
    // The crop's own pixels, contiguous, for the image encoder.
    std::vector<uint8_t> pixels(static_cast<size_t>(crop.width()) * crop.height() * 3);
    for (int32_t y = 0; y < crop.height(); ++y) {
      const uint8_t* source = rgb_ + (static_cast<int64_t>(crop.y0 + y) * width_ + crop.x0) * 3;
      std::copy(source, source + static_cast<int64_t>(crop.width()) * 3,
                pixels.data() + static_cast<int64_t>(y) * crop.width() * 3);
    }
    predictor_.set_image(pixels.data(), crop.width(), crop.height());

    const int64_t per_side = points_per_side(crop);
    std::vector<std::array<float, 2>> points;
    // Grid fractions times the crop size in double, then float32, as numpy then torch do.
    for (const auto& p : point_grid(per_side))
      points.push_back({static_cast<float>(p[0] * crop.width()), static_cast<float>(p[1] * crop.height())});

    std::vector<Candidate> found;
    for (size_t start = 0; start < points.size(); start += options_.points_per_batch) {
      const size_t end = std::min(points.size(), start + static_cast<size_t>(options_.points_per_batch));
      process_batch(std::vector<std::array<float, 2>>(points.begin() + start, points.begin() + end), crop, found);
      progress_.points_done += static_cast<int32_t>(end - start);
      report();
    }

    std::vector<BoxXYXY> boxes;
    std::vector<float> scores;
    for (const Candidate& candidate : found) {
      boxes.push_back(candidate.box);
      scores.push_back(candidate.mask.predicted_iou);
    }
    found = select(std::move(found), box_nms(boxes, scores, options_.box_nms_thresh));
    for (Candidate& candidate : found) {
      candidate.box[0] += crop.x0;
      candidate.box[1] += crop.y0;
      candidate.box[2] += crop.x0;
      candidate.box[3] += crop.y0;
      candidate.mask.bbox = {candidate.box[0], candidate.box[1], candidate.box[2] - candidate.box[0],
                             candidate.box[3] - candidate.box[1]};
      candidate.mask.point[0] += static_cast<float>(crop.x0);
      candidate.mask.point[1] += static_cast<float>(crop.y0);
      candidate.mask.crop_box = {crop.x0, crop.y0, crop.width(), crop.height()};
    }
    return found;
  }

  // Decodes points one foreground click each: low-res logits [count, L, L] and scores.
  // score_floor: prompts none of whose candidates scores above it get zero logits (never read).
  std::pair<at::Tensor, at::Tensor> decode(const std::vector<std::array<float, 2>>& points, const float* mask_inputs,
                                           bool multimask,
                                           float score_floor = -std::numeric_limits<float>::infinity()) {
    std::vector<PromptSet> sets(points.size());
    std::vector<const PromptSet*> pointers;
    const int64_t plane = side_ * side_;
    for (size_t i = 0; i < points.size(); ++i) {
      sets[i].points = {points[i][0], points[i][1]};
      sets[i].labels = {1};
      sets[i].multimask = multimask;
      if (mask_inputs) sets[i].mask_input = mask_inputs + static_cast<int64_t>(i) * plane;
      pointers.push_back(&sets[i]);
    }
    const DecoderOutput out = predictor_.predict_batch(pointers, multimask, score_floor);
    return {out.masks.to(at::kCPU, at::kFloat).reshape({-1, side_, side_}).contiguous(),
            out.iou_predictions.to(at::kCPU, at::kFloat).reshape({-1}).contiguous()};
  }

  void process_batch(const std::vector<std::array<float, 2>>& points, const Crop& crop, std::vector<Candidate>& found) {
    const bool multimask = options_.three_candidates_always || options_.multimask_output;
    // Without m2m, candidates at or below the IoU threshold are dropped before anything reads
    // their masks, so a point whose candidates all are needs no upscaling (m2m refines them all).
    const bool skip_unscored = !(options_.use_m2m && options_.has_m2m) && options_.pred_iou_thresh > 0.0f;
    auto [logits, scores] = decode(points, nullptr, multimask,
                                   skip_unscored ? options_.pred_iou_thresh : -std::numeric_limits<float>::infinity());
    const int64_t count = logits.size(0);
    const int64_t per_point = count / static_cast<int64_t>(points.size());
    std::vector<std::array<float, 2>> candidate_points;
    for (int64_t k = 0; k < count; ++k) candidate_points.push_back(points[k / per_point]);

    if (options_.use_m2m && options_.has_m2m) {
      // One refinement step: each candidate's own (clamped) logits as the mask input of its point.
      const at::Tensor inputs = logits.clamp(-kLogitClamp, kLogitClamp).contiguous();
      std::vector<at::Tensor> refined_logits, refined_scores;
      for (int64_t start = 0; start < count; start += options_.points_per_batch) {
        const int64_t end = std::min(count, start + static_cast<int64_t>(options_.points_per_batch));
        auto [l, s] = decode(std::vector<std::array<float, 2>>(candidate_points.begin() + start,
                                                               candidate_points.begin() + end),
                             inputs.data_ptr<float>() + start * side_ * side_, /*multimask=*/false);
        refined_logits.push_back(l);
        refined_scores.push_back(s);
      }
      logits = at::cat(refined_logits).contiguous();
      scores = at::cat(refined_scores).contiguous();
    }

    const float* score_values = scores.data_ptr<float>();
    std::vector<int64_t> passing;
    for (int64_t k = 0; k < count; ++k)
      if (!(options_.pred_iou_thresh > 0.0f) || score_values[k] > options_.pred_iou_thresh) passing.push_back(k);

    const float* logit_values = logits.data_ptr<float>();
    const int64_t plane = side_ * side_;
    const bool fill_regions = options_.small_regions == AutomaticMaskOptions::SmallRegions::InLowResLogits &&
                              options_.min_mask_region_area > 0;
    const float threshold = options_.mask_threshold;
    const int32_t crop_w = crop.width(), crop_h = crop.height();
    std::vector<std::optional<Candidate>> slots(passing.size());
    struct Scratch {
      std::vector<float> logits, frame;
      std::vector<uint8_t> regions, mask;
    };
    std::vector<Scratch> scratch(static_cast<size_t>(parallel_worker_count()));
    parallel_tasks(static_cast<int64_t>(passing.size()), [&](int64_t index, int64_t worker) {
      const int64_t k = passing[index];
      Scratch& own = scratch[worker];
      const float* map = logit_values + k * plane;
      if (fill_regions) {
        own.logits.assign(map, map + plane);
        // At the predictor's own threshold, 0: the reference builds its predictor without the
        // generator's mask_threshold.
        fill_small_regions(own.logits.data(), side_, kPredictorMaskThreshold, options_.min_mask_region_area,
                           own.regions);
        map = own.logits.data();
      }
      // The family's full-size logits are a bilinear resize of this map (SAM 1: unpadded first).
      int64_t map_h = side_, map_w = side_;
      map = predictor_.model().transforms->resizable_logits(map, side_, crop_w, crop_h, own.frame, &map_h, &map_w);
      int64_t intersections = 0, unions = 0;
      upsample_count_above(map, map_h, map_w, crop_h, crop_w, threshold + options_.stability_score_offset,
                           threshold - options_.stability_score_offset, &intersections, &unions);
      const float stability = static_cast<float>(intersections) / static_cast<float>(unions);
      if (options_.stability_score_thresh > 0.0f && !(stability >= options_.stability_score_thresh)) return;

      own.mask.resize(static_cast<size_t>(crop_w) * crop_h);
      upsample_threshold(map, map_h, map_w, own.mask.data(), crop_h, crop_w, threshold);
      const std::array<int32_t, 4> box = mask_box(own.mask.data(), crop_w, crop_h);
      if (near_crop_edge(box, crop, width_, height_)) return;

      Candidate candidate;
      candidate.mask.rle = uncropped_rle(own.mask.data(), crop, width_, height_, &candidate.mask.area);
      candidate.mask.predicted_iou = score_values[k];
      candidate.mask.stability_score = stability;
      candidate.mask.point = candidate_points[k];
      candidate.box = {static_cast<float>(box[0]), static_cast<float>(box[1]), static_cast<float>(box[2]),
                       static_cast<float>(box[3])};
      slots[index] = std::move(candidate);
    });
    for (auto& slot : slots)
      if (slot) found.push_back(std::move(*slot));
  }

  // SamAutomaticMaskGenerator.postprocess_small_regions: holes then islands removed from every
  // mask, unchanged masks preferred by a box NMS over the new boxes.
  void remove_small_regions_in_final_masks(std::vector<Candidate>& all) {
    const Crop image{0, 0, width_, height_, 0};
    std::vector<BoxXYXY> boxes;
    std::vector<float> scores;
    std::vector<std::optional<Candidate>> changed(all.size());
    for (size_t i = 0; i < all.size(); ++i) {
      std::vector<uint8_t> mask = rle_to_mask(all[i].mask.rle, width_, height_);
      bool modified = remove_small_regions(mask, height_, width_, options_.min_mask_region_area, /*holes=*/true);
      modified = remove_small_regions(mask, height_, width_, options_.min_mask_region_area, /*holes=*/false) ||
                 modified;
      const std::array<int32_t, 4> box = mask_box(mask.data(), width_, height_);
      boxes.push_back({static_cast<float>(box[0]), static_cast<float>(box[1]), static_cast<float>(box[2]),
                       static_cast<float>(box[3])});
      scores.push_back(modified ? 0.0f : 1.0f);
      if (modified) {
        Candidate updated = all[i];
        updated.mask.rle = uncropped_rle(mask.data(), image, width_, height_, &updated.mask.area);
        updated.box = boxes.back();
        updated.mask.bbox = {box[0] * 1.0f, box[1] * 1.0f, static_cast<float>(box[2] - box[0]),
                             static_cast<float>(box[3] - box[1])};
        changed[i] = std::move(updated);
      }
    }
    const std::vector<int64_t> keep =
        box_nms(boxes, scores, std::max(options_.box_nms_thresh, options_.crop_nms_thresh));
    std::vector<Candidate> out;
    for (int64_t index : keep) out.push_back(changed[index] ? std::move(*changed[index]) : std::move(all[index]));
    all = std::move(out);
  }

  Predictor& predictor_;
  const uint8_t* rgb_;
  int32_t width_, height_;
  AutomaticMaskOptions options_;
  int64_t side_;
  AutomaticMaskProgress progress_;
};

}  // namespace

AutomaticMaskOptions default_automatic_mask_options(Family family) {
  AutomaticMaskOptions options;
  if (family == Family::Sam1) {
    options.pred_iou_thresh = 0.88f;
    options.three_candidates_always = true;
    options.has_m2m = false;
    options.small_regions = AutomaticMaskOptions::SmallRegions::InFinalMasks;
  }
  return options;
}

std::vector<AutomaticMask> generate_automatic_masks(Predictor& predictor, const uint8_t* rgb, int32_t width,
                                                    int32_t height, const AutomaticMaskOptions& options) {
  require(rgb != nullptr, "generate masks: no pixels given");
  require(width > 0 && height > 0, "generate masks: image size " + std::to_string(width) + "x" +
                                       std::to_string(height) + " is not positive");
  require(options.points_per_side >= 1 && options.points_per_side <= 1024,
          "points_per_side must be in 1...1024, not " + std::to_string(options.points_per_side));
  require(options.points_per_batch >= 1 && options.points_per_batch <= 1024,
          "points_per_batch must be in 1...1024, not " + std::to_string(options.points_per_batch));
  require(options.crop_n_layers >= 0 && options.crop_n_layers <= 6,
          "crop_n_layers must be in 0...6, not " + std::to_string(options.crop_n_layers));
  require(options.crop_n_points_downscale_factor >= 1, "crop_n_points_downscale_factor must be at least 1, not " +
                                                           std::to_string(options.crop_n_points_downscale_factor));
  int64_t last_layer_side = options.points_per_side;
  for (int32_t i = 0; i < options.crop_n_layers; ++i) last_layer_side /= options.crop_n_points_downscale_factor;
  require(last_layer_side >= 1, "points_per_side " + std::to_string(options.points_per_side) +
                                    " leaves no points in crop layer " + std::to_string(options.crop_n_layers) +
                                    " with crop_n_points_downscale_factor " +
                                    std::to_string(options.crop_n_points_downscale_factor));
  require(std::isfinite(options.crop_overlap_ratio) && options.crop_overlap_ratio >= 0 &&
              options.crop_overlap_ratio < 1,
          "crop_overlap_ratio must be in [0, 1), not " + std::to_string(options.crop_overlap_ratio));
  require(options.min_mask_region_area >= 0, "min_mask_region_area must not be negative");
  for (float value : {options.pred_iou_thresh, options.stability_score_thresh, options.stability_score_offset,
                      options.mask_threshold, options.box_nms_thresh, options.crop_nms_thresh})
    require(std::isfinite(value), "generate masks: thresholds must be finite numbers");
  c10::InferenceMode inference;
  return Generator(predictor, rgb, width, height, options).run();
}

}  // namespace sam
