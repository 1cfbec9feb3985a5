// The video predictor (sam2/sam2_video_predictor.py SAM2VideoPredictor): objects prompted with
// points, a box or a mask on any frame, each object tracked on its own through the frames
// (forward or backward from any frame), corrections on frames already tracked, the objects'
// masks brought to the video's size and, optionally, kept from overlapping.
//
// Frames are read when first needed through a callback and their features kept within a
// budget (FrameFeatureStore; the reference keeps only the last one); every
// object's memories are kept as the reference keeps them (bfloat16), those of frames far from
// the one being tracked on disk.
#pragma once
#include <ATen/ATen.h>

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "video/frame_feature_store.h"
#include "video/sam2_tracker.h"

namespace sam {

struct VideoOptions {
  int64_t frame_count = 0;
  int32_t width = 0, height = 0;
  // Writes frame `index` as width * height * 3 RGB bytes; throws sam::Error on failure.
  std::function<void(int64_t index, uint8_t* rgb)> read_frame;
  int64_t feature_budget_bytes = int64_t(256) << 20;  // about 16 frames of hiera features
  // Where frames pushed out of memory are written and read back from (none: encoded again).
  std::optional<FrameFeatureFolder> feature_folder;
  // A frame corrected after it was tracked becomes a conditioning frame
  // (add_all_frames_to_correct_as_cond); otherwise propagation recomputes it without its prompts.
  bool corrections_as_conditioning = true;
  bool non_overlap_masks = false;  // one object per pixel in the returned masks
  // While propagating, outputs of frames farther than this from the frame tracked go to a
  // temporary file (OutputSpill) and come back when needed; negative: all stay in memory.
  int64_t resident_frames = 16;
};

// Every object's state on one frame, as the predictor returns it.
struct VideoFrameResult {
  int64_t frame = 0;
  std::vector<int32_t> object_ids;      // every object so far, in the order they were added
  std::vector<float> object_scores;     // per object; kNoObjectScore where it has no output here
  at::Tensor low_res;                   // [N, L, L]: each object's low-resolution logits
  at::Tensor video_logits;              // [N, H, W]: at the video's size, after the overlap rule
};

class VideoPredictor {
 public:
  VideoPredictor(const Sam2Tracker& tracker, VideoOptions options);

  // add_new_points_or_box: points (x, y pairs in video pixels) with labels 0 / 1, and / or a box
  // (which needs clear_old_points); with clear_old_points false the points join the frame's
  // earlier ones.
  VideoFrameResult add_points(int64_t frame, int32_t object_id, const std::vector<float>& points,
                              const std::vector<int32_t>& labels, const std::optional<std::array<float, 4>>& box,
                              bool clear_old_points);
  // add_new_mask: a binary mask of any size (nonzero inside) covering the frame.
  VideoFrameResult add_mask(int64_t frame, int32_t object_id, const uint8_t* mask, int32_t width, int32_t height);

  // propagate_in_video: start -1 means the earliest conditioning frame, max_frames -1 every
  // frame. on_frame returns false to stop; propagate then returns false.
  bool propagate(int64_t start, int64_t max_frames, bool reverse,
                 const std::function<bool(const VideoFrameResult&)>& on_frame);

  // reset_state: no objects, no prompts, no outputs (frame features stay cached).
  void reset();

  int64_t frame_count() const { return options_.frame_count; }
  size_t object_count() const { return objects_.size(); }
  // Bytes of frame features held now.
  int64_t feature_bytes() const { return store_.memory_bytes(); }
  const FrameFeatureCounts& feature_counts() const { return store_.counts(); }
  // Bytes of outputs written to the temporary file since the last reset.
  int64_t spilled_bytes() const { return spill_->bytes_written(); }

 private:
  struct ObjectState {
    int32_t id = 0;
    std::map<int64_t, PointInputs> points;
    std::map<int64_t, at::Tensor> masks;
    ObjectOutputs outputs, temporary;
    std::map<int64_t, bool> tracked;  // frame -> tracked backward
  };

  ObjectState& object(int32_t id);
  const FrameFeatures& features(int64_t frame);
  FrameFeatures encode(int64_t frame) const;
  Sam2Tracker::Step run_frame(ObjectState& object, int64_t frame, bool is_init_cond_frame, const PointInputs* points,
                              const at::Tensor* mask, bool reverse, bool run_memory_encoder,
                              const at::Tensor* prev_mask_logits);
  VideoFrameResult prompted(ObjectState& object, int64_t frame, const PointInputs* points, const at::Tensor* mask,
                            bool use_previous_logits);
  // The latest output of each object on `frame` (temporary first), at the video's size.
  VideoFrameResult consolidate(int64_t frame, bool is_cond);
  // Brings back the object's outputs within `radius` frames of `frame` from the disk.
  void restore_near(ObjectState& object, int64_t frame, int64_t radius);
  // Sends the outputs farther than resident_frames from `frame` to the disk.
  void spill_far(int64_t frame);
  VideoFrameResult result(int64_t frame, const std::vector<const TrackOutput*>& outputs);
  void preflight();
  void check_frame(int64_t frame, const char* what) const;

  const Sam2Tracker& tracker_;
  VideoOptions options_;
  std::vector<ObjectState> objects_;
  FrameFeatureStore store_;
  std::unique_ptr<OutputSpill> spill_ = std::make_unique<OutputSpill>();
};

}  // namespace sam
