// The sam_video_* functions of sam_engine.h.
#include <ATen/ATen.h>

#include <sys/stat.h>

#include <cctype>
#include <cmath>
#include <memory>
#include <optional>
#include <vector>

#include "api_boundary.h"
#include "api_handles.h"
#include "include/sam_engine.h"
#include "video/video_predictor.h"

struct sam_video {
  std::unique_ptr<sam::VideoPredictor> predictor;
};

namespace {

using sam::require;

// A frame reader's failure, carried through the predictor as an exception.
void read_through(const sam_video_options& options, int64_t index, uint8_t* rgb) {
  sam_error error{};
  const sam_status status = options.read_frame(options.read_frame_user, static_cast<int32_t>(index), rgb, &error);
  if (status != SAM_OK) {
    throw sam::Error(status, error.message[0] ? error.message : ("frame " + std::to_string(index) + " could not be read"));
  }
}

// Hands a result to the caller's callback; returns what it said (true: go on).
bool deliver(const sam::VideoFrameResult& result, sam_video_frame_fn on_frame, void* user) {
  if (!on_frame) return true;
  const at::Tensor masks = result.video_logits.gt(0).to(at::kByte).contiguous();
  const at::Tensor low_res = result.low_res.to(at::kFloat).contiguous();
  sam_video_frame frame{};
  frame.frame = static_cast<int32_t>(result.frame);
  frame.object_count = static_cast<int32_t>(result.object_ids.size());
  frame.object_ids = result.object_ids.data();
  frame.object_scores = result.object_scores.data();
  frame.height = static_cast<int32_t>(masks.size(1));
  frame.width = static_cast<int32_t>(masks.size(2));
  frame.masks = masks.data_ptr<uint8_t>();
  frame.low_res_size = static_cast<int32_t>(low_res.size(-1));
  frame.low_res_logits = low_res.data_ptr<float>();
  return on_frame(user, &frame) == 0;
}

// The feature cache of the options, checked: the key becomes part of file names.
sam::FrameFeatureFolder cache_folder(const sam_video_options& options) {
  const std::string key = options.feature_cache_key ? options.feature_cache_key : "";
  require(!key.empty() && key.size() <= 128, "sam_video_new: the feature cache needs a key of 1...128 characters");
  for (char c : key) {
    require(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-',
            "sam_video_new: the feature cache key may hold only letters, digits, '.', '_' and '-'");
  }
  require(options.feature_cache_bytes >= 0, "sam_video_new: the feature cache's byte budget must not be negative");
  struct stat info {};
  require(::stat(options.feature_cache_dir, &info) == 0 && S_ISDIR(info.st_mode),
          std::string("sam_video_new: ") + options.feature_cache_dir + ": not a folder");
  return sam::FrameFeatureFolder{options.feature_cache_dir, key,
                                 options.feature_cache_bytes > 0 ? options.feature_cache_bytes : int64_t(2) << 30};
}

sam::VideoPredictor& predictor_of(sam_video* video) {
  require(video != nullptr && video->predictor != nullptr, "no video");
  return *video->predictor;
}

}  // namespace

extern "C" {

sam_status sam_video_new(sam_model* model, const sam_video_options* options, sam_video** out, sam_error* error) {
  return sam::torch_guarded(error, [&] {
    require(out != nullptr, "sam_video_new: no output handle");
    *out = nullptr;
    require(model != nullptr, "sam_video_new: no model");
    require(options != nullptr, "sam_video_new: no options");
    require(options->read_frame != nullptr, "sam_video_new: no frame reader");
    require(options->feature_budget_bytes >= 0, "sam_video_new: the feature budget must not be negative");
    if (!model->tracker) model->tracker = std::make_unique<sam::Sam2Tracker>(*model->model, model->checkpoint_path);
    sam::VideoOptions video;
    video.frame_count = options->frame_count;
    video.width = options->width;
    video.height = options->height;
    const sam_video_options reader = *options;
    video.read_frame = [reader](int64_t index, uint8_t* rgb) { read_through(reader, index, rgb); };
    if (options->feature_budget_bytes > 0) video.feature_budget_bytes = options->feature_budget_bytes;
    video.corrections_as_conditioning = options->corrections_as_conditioning != 0;
    video.non_overlap_masks = options->non_overlap_masks != 0;
    if (options->resident_frames != 0) video.resident_frames = options->resident_frames;
    if (options->feature_cache_dir) video.feature_folder = cache_folder(*options);
    auto handle = std::make_unique<sam_video>();
    handle->predictor = std::make_unique<sam::VideoPredictor>(*model->tracker, std::move(video));
    *out = handle.release();
  });
}

void sam_video_free(sam_video* video) { delete video; }

sam_status sam_video_add_points(sam_video* video, int32_t frame, int32_t object_id, const float* points,
                                const int32_t* labels, int32_t n_points, const float* box, int32_t clear_old_points,
                                sam_video_frame_fn on_frame, void* user, sam_error* error) {
  return sam::torch_guarded(error, [&] {
    sam::VideoPredictor& predictor = predictor_of(video);
    require(n_points >= 0 && n_points <= 4096, "add points: n_points must be 0...4096");
    require(n_points == 0 || (points != nullptr && labels != nullptr), "add points: points and labels must be given");
    std::vector<float> coords(points, points + 2 * n_points);
    for (float value : coords) require(std::isfinite(value), "add points: a point coordinate is not finite");
    std::optional<std::array<float, 4>> corners;
    if (box) {
      corners = std::array<float, 4>{box[0], box[1], box[2], box[3]};
      for (float value : *corners) require(std::isfinite(value), "add points: a box coordinate is not finite");
    }
    const sam::VideoFrameResult result = predictor.add_points(frame, object_id, coords,
                                                              std::vector<int32_t>(labels, labels + n_points), corners,
                                                              clear_old_points != 0);
    deliver(result, on_frame, user);
  });
}

sam_status sam_video_add_mask(sam_video* video, int32_t frame, int32_t object_id, const uint8_t* mask, int32_t width,
                              int32_t height, sam_video_frame_fn on_frame, void* user, sam_error* error) {
  return sam::torch_guarded(error, [&] {
    const sam::VideoFrameResult result = predictor_of(video).add_mask(frame, object_id, mask, width, height);
    deliver(result, on_frame, user);
  });
}

sam_status sam_video_propagate(sam_video* video, const sam_propagate_options* options, sam_video_frame_fn on_frame,
                               void* user, sam_error* error) {
  bool stopped = false;
  const sam_status status = sam::torch_guarded(error, [&] {
    sam::VideoPredictor& predictor = predictor_of(video);
    const int64_t start = options ? options->start_frame : -1;
    const int64_t max_frames = options ? options->max_frames : -1;
    require(start >= -1 && max_frames >= -1, "propagate: start_frame and max_frames are -1 or a frame count");
    stopped = !predictor.propagate(start, max_frames, options && options->reverse,
                                   [&](const sam::VideoFrameResult& result) { return deliver(result, on_frame, user); });
  });
  if (status == SAM_OK && stopped) {
    sam::set_error_message(error, "propagation stopped by the caller");
    return SAM_CANCELLED;
  }
  return status;
}

sam_status sam_video_reset(sam_video* video, sam_error* error) {
  return sam::torch_guarded(error, [&] { predictor_of(video).reset(); });
}

void sam_video_get_stats(const sam_video* video, sam_video_stats* out) {
  if (!out) return;
  *out = sam_video_stats{};
  if (!video || !video->predictor) return;
  const sam::VideoPredictor& predictor = *video->predictor;
  const sam::FrameFeatureCounts& counts = predictor.feature_counts();
  out->feature_bytes = predictor.feature_bytes();
  out->frames_encoded = counts.encoded;
  out->frames_read_back = counts.read_back;
  out->cache_bytes_written = counts.bytes_written;
  out->spilled_bytes = predictor.spilled_bytes();
}

}  // extern "C"
