#include "video/video_predictor.h"

#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <cstdlib>

#include "engine_error.h"
#include "video/frame_resize.h"

namespace sam {
namespace {

// SAM2VideoPredictor clamps an earlier prediction fed back with new clicks.
constexpr double kPreviousLogitClamp = 32.0;

// How far a frame's memory reaches: num_maskmem (7) frames, the frame's own and the six before
// it in the direction of tracking at stride 1 (every official config).
constexpr int64_t kMemoryReach = 7;

const TrackOutput* find_output(const std::map<int64_t, TrackOutput>& outputs, int64_t frame) {
  const auto found = outputs.find(frame);
  return found == outputs.end() ? nullptr : &found->second;
}

// _apply_non_overlapping_constraints over [N, 1, H, W]: where objects overlap, only the highest logit stays
// above -10.
at::Tensor without_overlaps(const at::Tensor& logits) {
  if (logits.size(0) <= 1) return logits;
  const at::Tensor winner = logits.argmax(0, true);
  const at::Tensor index = at::arange(logits.size(0), winner.options()).view({-1, 1, 1, 1});
  return at::where(winner == index, logits, logits.clamp_max(-10.0));
}

}  // namespace

VideoPredictor::VideoPredictor(const Sam2Tracker& tracker, VideoOptions options)
    : tracker_(tracker),
      options_(std::move(options)),
      store_(tracker.model(), options_.feature_budget_bytes, options_.feature_folder,
             [this](int64_t frame) { return encode(frame); }) {
  require(options_.frame_count > 0, "video: no frames");
  require(options_.width > 0 && options_.height > 0 && options_.width <= (1 << 15) && options_.height <= (1 << 15),
          "video: frame size " + std::to_string(options_.width) + "x" + std::to_string(options_.height) +
              " is outside 1...32768");
  require(static_cast<bool>(options_.read_frame), "video: no frame reader");
  require(options_.feature_budget_bytes >= 0, "video: the feature budget must not be negative");
}

void VideoPredictor::check_frame(int64_t frame, const char* what) const {
  require(frame >= 0 && frame < options_.frame_count, std::string(what) + ": frame " + std::to_string(frame) +
                                                          " is outside 0.." + std::to_string(options_.frame_count - 1));
}

VideoPredictor::ObjectState& VideoPredictor::object(int32_t id) {
  for (ObjectState& state : objects_)
    if (state.id == id) return state;
  objects_.emplace_back();
  objects_.back().id = id;
  return objects_.back();
}

const FrameFeatures& VideoPredictor::features(int64_t frame) { return store_.get(frame); }

FrameFeatures VideoPredictor::encode(int64_t frame) const {
  const SamModel& model = tracker_.model();
  std::vector<uint8_t> rgb(static_cast<size_t>(options_.width) * options_.height * 3);
  options_.read_frame(frame, rgb.data());
  const at::Tensor input = video_frame_input(rgb.data(), options_.width, options_.height, model.image_size(),
                                             model.compute.device);
  ImageFeatures encoded = model.image_encoder->encode(input, /*for_tracking=*/true);
  return FrameFeatures{encoded.image_embed, std::move(encoded.high_res)};
}

Sam2Tracker::Step VideoPredictor::run_frame(ObjectState& state, int64_t frame, bool is_init_cond_frame,
                                            const PointInputs* points, const at::Tensor* mask, bool reverse,
                                            bool run_memory_encoder, const at::Tensor* prev_mask_logits) {
  // The reference fills small holes of the low-resolution masks here with a CUDA extension
  // (fill_hole_area 8); without it, its CPU path leaves the masks as they are, as this does.
  restore_near(state, frame, kMemoryReach);
  return tracker_.track_step(frame, is_init_cond_frame, features(frame), points, mask, state.outputs,
                             options_.frame_count, reverse, run_memory_encoder, prev_mask_logits);
}

VideoFrameResult VideoPredictor::add_points(int64_t frame, int32_t object_id, const std::vector<float>& points,
                                            const std::vector<int32_t>& labels,
                                            const std::optional<std::array<float, 4>>& box, bool clear_old_points) {
  check_frame(frame, "add points");
  require(points.size() == 2 * labels.size(), "add points: every point needs one label");
  require(!labels.empty() || box, "add points: no points and no box");
  require(!box || clear_old_points, "add points: a box replaces the frame's prompts (clear_old_points must be set)");
  for (int32_t label : labels) require(label == 0 || label == 1, "add points: labels are 0 (background) or 1 (foreground)");
  c10::InferenceMode inference;
  const AutocastScope autocast(tracker_.model().compute);
  const float size = static_cast<float>(tracker_.model().image_size());
  const float width = static_cast<float>(options_.width), height = static_cast<float>(options_.height);
  std::vector<float> coords;
  std::vector<int32_t> all_labels;
  auto add = [&](float x, float y, int32_t label) {
    coords.push_back(x / width * size);
    coords.push_back(y / height * size);
    all_labels.push_back(label);
  };
  if (box) {  // the box's corners first, labelled 2 and 3, as SAM 2 was trained
    add((*box)[0], (*box)[1], 2);
    add((*box)[2], (*box)[3], 3);
  }
  for (size_t i = 0; i < labels.size(); ++i) add(points[2 * i], points[2 * i + 1], labels[i]);
  const int64_t n = static_cast<int64_t>(all_labels.size());
  const at::Device device = tracker_.model().compute.device;
  PointInputs inputs{at::tensor(coords, at::kFloat).view({1, n, 2}).to(device),
                     at::tensor(all_labels, at::kInt).view({1, n}).to(device)};
  ObjectState& state = object(object_id);
  const auto earlier = state.points.find(frame);
  if (!clear_old_points && earlier != state.points.end()) {
    inputs.coords = at::cat({earlier->second.coords, inputs.coords}, 1);
    inputs.labels = at::cat({earlier->second.labels, inputs.labels}, 1);
  }
  state.points[frame] = inputs;
  state.masks.erase(frame);
  return prompted(state, frame, &state.points[frame], nullptr, /*use_previous_logits=*/true);
}

VideoFrameResult VideoPredictor::add_mask(int64_t frame, int32_t object_id, const uint8_t* mask, int32_t width,
                                          int32_t height) {
  check_frame(frame, "add mask");
  require(mask != nullptr && width > 0 && height > 0 && width <= (1 << 15) && height <= (1 << 15),
          "add mask: no mask, or a size outside 1...32768");
  c10::InferenceMode inference;
  const AutocastScope autocast(tracker_.model().compute);
  const int64_t size = tracker_.model().image_size();
  at::Tensor input = at::from_blob(const_cast<uint8_t*>(mask), {1, 1, height, width}, at::kByte).ne(0).to(at::kFloat);
  if (height != size || width != size)
    input = at::_upsample_bilinear2d_aa(input, {size, size}, false).ge(0.5).to(at::kFloat);
  ObjectState& state = object(object_id);
  state.masks[frame] = input.to(tracker_.model().compute.device);
  state.points.erase(frame);
  return prompted(state, frame, nullptr, &state.masks[frame], /*use_previous_logits=*/false);
}

VideoFrameResult VideoPredictor::prompted(ObjectState& state, int64_t frame, const PointInputs* points,
                                          const at::Tensor* mask, bool use_previous_logits) {
  // A frame not yet tracked for this object starts it afresh, like an image; a tracked frame is
  // corrected with its memories, in the direction it was tracked.
  const auto tracked = state.tracked.find(frame);
  const bool is_init_cond_frame = tracked == state.tracked.end();
  const bool reverse = is_init_cond_frame ? false : tracked->second;
  const bool is_cond = is_init_cond_frame || options_.corrections_as_conditioning;
  std::map<int64_t, TrackOutput>& temporary = is_cond ? state.temporary.cond : state.temporary.non_cond;
  at::Tensor previous;
  restore_near(state, frame, 0);
  if (use_previous_logits) {
    const TrackOutput* earlier = find_output(temporary, frame);
    if (!earlier) earlier = find_output(state.outputs.cond, frame);
    if (!earlier) earlier = find_output(state.outputs.non_cond, frame);
    if (earlier && earlier->pred_masks.defined())
      previous = earlier->pred_masks.clamp(-kPreviousLogitClamp, kPreviousLogitClamp);
  }
  // The memory encoder waits for propagation, so that it encodes the prompts' final masks.
  const Sam2Tracker::Step step = run_frame(state, frame, is_init_cond_frame, points, mask, reverse,
                                           /*run_memory_encoder=*/false, previous.defined() ? &previous : nullptr);
  temporary[frame] = step.output;
  return consolidate(frame, is_cond);
}

void VideoPredictor::restore_near(ObjectState& state, int64_t frame, int64_t radius) {
  auto& outputs = state.outputs.non_cond;
  for (auto it = outputs.lower_bound(frame - radius); it != outputs.end() && it->first <= frame + radius; ++it)
    spill_->restore(it->second);
}

void VideoPredictor::spill_far(int64_t frame) {
  if (options_.resident_frames < 0) return;
  for (ObjectState& state : objects_)
    for (auto& [other, out] : state.outputs.non_cond)
      if (std::abs(other - frame) > options_.resident_frames) spill_->spill(out);
}

VideoFrameResult VideoPredictor::consolidate(int64_t frame, bool is_cond) {
  std::vector<const TrackOutput*> outputs;
  for (ObjectState& state : objects_) {
    restore_near(state, frame, 0);
    const TrackOutput* out = find_output(is_cond ? state.temporary.cond : state.temporary.non_cond, frame);
    if (!out) out = find_output(state.outputs.cond, frame);
    if (!out) out = find_output(state.outputs.non_cond, frame);
    outputs.push_back(out);
  }
  return result(frame, outputs);
}

VideoFrameResult VideoPredictor::result(int64_t frame, const std::vector<const TrackOutput*>& outputs) {
  const int64_t count = static_cast<int64_t>(outputs.size());
  const int64_t side = tracker_.model().low_res_size();
  VideoFrameResult out;
  out.frame = frame;
  at::Tensor low_res = at::full({count, 1, side, side}, kNoObjectScore, at::kFloat);
  for (int64_t i = 0; i < count; ++i) {
    out.object_ids.push_back(objects_[i].id);
    if (!outputs[i]) {
      out.object_scores.push_back(kNoObjectScore);
      continue;
    }
    low_res[i].copy_(outputs[i]->pred_masks[0].to(at::kCPU));
    out.object_scores.push_back(outputs[i]->object_score_logits.to(at::kCPU).to(at::kFloat).item<float>());
  }
  at::Tensor video = at::upsample_bilinear2d(low_res, {options_.height, options_.width}, false);
  if (options_.non_overlap_masks) video = without_overlaps(video);
  out.low_res = low_res.squeeze(1);
  out.video_logits = video.squeeze(1);
  return out;
}

void VideoPredictor::preflight() {
  require(!objects_.empty(), "propagate: no object has prompts yet");
  const int64_t size = tracker_.model().image_size();
  for (ObjectState& state : objects_) {
    for (const bool is_cond : {false, true}) {
      std::map<int64_t, TrackOutput>& temporary = is_cond ? state.temporary.cond : state.temporary.non_cond;
      std::map<int64_t, TrackOutput>& kept = is_cond ? state.outputs.cond : state.outputs.non_cond;
      for (auto& [frame, out] : temporary) {
        if (!out.maskmem_features.defined()) {
          // The prompted frames' memories, from their final low-resolution masks, binarised as
          // masks from clicks (the reference treats masks from mask prompts the same way).
          const at::Tensor high_res = at::upsample_bilinear2d(out.pred_masks, {size, size}, false);
          out.maskmem_features = tracker_.encode_memory(features(frame), high_res, out.object_score_logits, true);
        }
        kept[frame] = out;
      }
      temporary.clear();
    }
    require(!state.outputs.cond.empty(),
            "propagate: object " + std::to_string(state.id) + " has no prompts on any frame");
    for (const auto& [frame, out] : state.outputs.cond) state.outputs.non_cond.erase(frame);
  }
}

bool VideoPredictor::propagate(int64_t start, int64_t max_frames,
                               bool reverse, const std::function<bool(const VideoFrameResult&)>& on_frame) {
  c10::InferenceMode inference;
  const AutocastScope autocast(tracker_.model().compute);
  preflight();
  if (start < 0) {
    start = options_.frame_count;
    for (const ObjectState& state : objects_) start = std::min(start, state.outputs.cond.begin()->first);
  }
  check_frame(start, "propagate");
  if (max_frames < 0) max_frames = options_.frame_count;
  std::vector<int64_t> order;
  if (reverse) {
    const int64_t end = std::max<int64_t>(start - max_frames, 0);
    if (start > 0)  // the reference does not track backward from frame 0
      for (int64_t frame = start; frame >= end; --frame) order.push_back(frame);
  } else {
    const int64_t end = std::min<int64_t>(start + max_frames, options_.frame_count - 1);
    for (int64_t frame = start; frame <= end; ++frame) order.push_back(frame);
  }
  for (const int64_t frame : order) {
    std::vector<const TrackOutput*> outputs;
    for (ObjectState& state : objects_) {
      const TrackOutput* out = find_output(state.outputs.cond, frame);
      if (!out) {
        Sam2Tracker::Step step = run_frame(state, frame, false, nullptr, nullptr, reverse, true, nullptr);
        out = &(state.outputs.non_cond[frame] = std::move(step.output));
      }
      state.tracked[frame] = reverse;
      outputs.push_back(out);
    }
    if (!on_frame(result(frame, outputs))) return false;
    spill_far(frame);
  }
  return true;
}

void VideoPredictor::reset() {
  objects_.clear();
  spill_ = std::make_unique<OutputSpill>();
}

}  // namespace sam
