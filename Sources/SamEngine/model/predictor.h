// The image predictor (sam2/sam2_image_predictor.py SAM2ImagePredictor, and SAM 1's
// segment_anything/predictor.py SamPredictor): set an image once, then predict masks for many
// prompts against its cached embedding.
//
// set_image: the model family's transforms make the encoder's input (see
// predictor_transforms.h); everything the decoder can compute from the image alone is cached.
// predict: prompt coordinates go to the model's frame, box corners and clicks become sparse
// tokens the family's way, the decoder's low-resolution logits are resized to the requested
// size the family's way and thresholded at 0; the low-resolution logits come back as the
// family's predictor returns them (SAM 2 clamps them to [-32, 32]).
#pragma once
#include <ATen/ATen.h>

#include <array>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "model/image_features.h"
#include "model/mask_decoder.h"
#include "model/sam_model.h"

namespace sam {

struct PromptSet {
  std::vector<float> points;    // (x, y) pairs in original-image pixels
  std::vector<int32_t> labels;  // one per point: -1 padding, 0 background, 1 foreground, 2 / 3 box corners
  std::optional<std::array<float, 4>> box;  // x0, y0, x1, y1 in original-image pixels
  const float* mask_input = nullptr;        // low_res_size^2 logits of an earlier prediction
  bool multimask = true;
};

struct OutputOptions {
  int32_t mask_width = 0;  // 0 x 0: the original image size
  int32_t mask_height = 0;
  bool best_mask_only = false;  // upsample only the best-scoring candidate
};

struct Prediction {
  int32_t count = 0;             // candidates
  std::vector<float> scores;     // count
  int32_t best = 0;              // argmax of scores (the first on ties)
  int32_t mask_width = 0, mask_height = 0;
  std::vector<std::vector<uint8_t>> masks;  // count entries; empty for a candidate not upsampled
  std::vector<float> low_res_logits;        // count * low_res^2 (SAM 2: clamped to [-32, 32])
  int32_t low_res_size = 0;
};

class Predictor {
 public:
  explicit Predictor(const SamModel& model);

  void set_image(const uint8_t* rgb, int32_t width, int32_t height);
  bool has_image() const { return features_.image_embed.defined(); }

  // The image embedding as a file (see embedding_file.h). load_embedding throws
  // SAM_ERROR_FORMAT when the file belongs to another model or another image key.
  void save_embedding(const std::string& path, const std::string& image_key) const;
  void load_embedding(const std::string& path, const std::string& image_key);

  Prediction predict(const PromptSet& prompt, const OutputOptions& options);

  // Many prompt sets against the current embedding in one decoder pass (the reference's batched
  // _predict): every set needs the same number of points and either all or none a mask input.
  // Returns the raw low-resolution logits [B, M, L, L] (not clamped) and scores [B, M].
  // mask_score_floor: with the decoder plan, prompt sets none of whose candidates scores above it
  // get no masks computed (left 0; see DecoderPlan); the generic path computes them all.
  DecoderOutput predict_batch(const std::vector<const PromptSet*>& prompts, bool multimask,
                              float mask_score_floor = -std::numeric_limits<float>::infinity());

  // A binary mask covering the image (mask_width x mask_height bytes, any size) as a mask input
  // (low_res_size^2 logits), the way the official code feeds a mask back: in the input frame,
  // scaled to logits of +-10 and resized to the low-resolution side, antialiased
  // (SAM2Base._use_mask_as_output).
  std::vector<float> mask_input(const uint8_t* mask, int32_t mask_width, int32_t mask_height) const;

  // The object a binary mask covers (as for mask_input) as one unit vector of the image
  // embedding's channels: see object_embedding.h.
  std::vector<float> object_embedding(const uint8_t* mask, int32_t mask_width, int32_t mask_height) const;
  int64_t embedding_channels() const { return features_.image_embed.defined() ? features_.image_embed.size(1) : 0; }

  int32_t image_width() const { return width_; }
  int32_t image_height() const { return height_; }
  const SamModel& model() const { return model_; }

 private:
  // Prompt tensors for the decoder, batch dimension first (all sets in a batch must have the
  // same number of points, as in the reference's batched predict).
  struct DecoderPrompts {
    at::Tensor coords;      // [B, N, 2] in the model's input frame, or undefined
    at::Tensor labels;      // [B, N] int32, or undefined
    at::Tensor boxes;       // [B, 4] in the model's input frame, or undefined (see boxes_as_points)
    at::Tensor mask_input;  // [B, 1, L, L], or undefined
  };
  DecoderPrompts prepare_prompts(const std::vector<const PromptSet*>& prompts) const;
  // Runs the prompt encoder and the mask decoder for a batch of prompt sets.
  DecoderOutput decode(const DecoderPrompts& prompts, bool multimask,
                       float mask_score_floor = -std::numeric_limits<float>::infinity()) const;
  Prediction finish(const at::Tensor& low_res, const at::Tensor& scores, const OutputOptions& options) const;
  void cache_features(ImageFeatures features, int32_t width, int32_t height);

  const SamModel& model_;
  ImageFeatures features_;  // as the encoder returned them (saved in embedding files)
  PlannedImage planned_image_;  // with the decoder plan only
  at::Tensor image_pe_;         // the prompt encoder's dense position encoding
  int32_t width_ = 0, height_ = 0;  // of the original image
};

}  // namespace sam
