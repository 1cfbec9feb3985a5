#include "model/predictor.h"

#include <c10/core/InferenceMode.h>

#include <array>
#include <cmath>

#include "engine_error.h"
#include "model/embedding_file.h"
#include "model/object_embedding.h"

namespace sam {
namespace {

constexpr int64_t kMaxImageSide = 1 << 15;
constexpr int64_t kMaxPoints = 1 << 12;

}  // namespace

Predictor::Predictor(const SamModel& model)
    : model_(model), image_pe_(model.prompt_encoder->dense_positional_encoding()) {}

void Predictor::set_image(const uint8_t* rgb, int32_t width, int32_t height) {
  require(rgb != nullptr, "set_image: no pixels given");
  require(width > 0 && height > 0 && width <= kMaxImageSide && height <= kMaxImageSide,
          "set_image: image size " + std::to_string(width) + "x" + std::to_string(height) +
              " is outside 1..." + std::to_string(kMaxImageSide));
  c10::InferenceMode inference;
  const AutocastScope autocast(model_.compute);
  features_ = ImageFeatures{};
  planned_image_ = PlannedImage{};
  const at::Tensor input = model_.transforms->preprocess(rgb, width, height, model_.compute.device);
  cache_features(model_.image_encoder->encode(input), width, height);
}

void Predictor::cache_features(ImageFeatures features, int32_t width, int32_t height) {
  features_ = std::move(features);
  width_ = width;
  height_ = height;
  if (model_.decoder_plan) planned_image_ = model_.decoder_plan->prepare(features_.image_embed, features_.high_res);
}

void Predictor::save_embedding(const std::string& path, const std::string& image_key) const {
  require(has_image(), "save_embedding: no image has been set");
  EmbeddingFile file;
  file.model_name = model_.preset.name;
  file.image_key = image_key;
  file.width = width_;
  file.height = height_;
  file.tensors.push_back(features_.image_embed);
  for (const at::Tensor& level : features_.high_res) file.tensors.push_back(level);
  write_embedding_file(path, file);
}

void Predictor::load_embedding(const std::string& path, const std::string& image_key) {
  EmbeddingFile file = read_embedding_file(
      path, model_.preset.name, image_key,
      image_feature_shapes(model_.preset.d_model, model_.embedding_size(), model_.preset.use_high_res_features));
  if (file.width > kMaxImageSide || file.height > kMaxImageSide) {
    throw Error(SAM_ERROR_FORMAT, path + ": not a usable embedding file: image size out of range");
  }
  c10::InferenceMode inference;
  ImageFeatures features;
  features.image_embed = file.tensors[0].to(model_.compute.device);
  for (size_t i = 1; i < file.tensors.size(); ++i) features.high_res.push_back(file.tensors[i].to(model_.compute.device));
  cache_features(std::move(features), file.width, file.height);
}

Predictor::DecoderPrompts Predictor::prepare_prompts(const std::vector<const PromptSet*>& prompts) const {
  const int64_t batch = static_cast<int64_t>(prompts.size());
  const PredictorTransforms& transforms = *model_.transforms;
  const bool boxes_as_points = transforms.boxes_as_points();
  auto add_point = [&](std::vector<float>& coords, float x, float y) {
    const std::array<float, 2> frame = transforms.to_frame(x, y, width_, height_);
    coords.insert(coords.end(), frame.begin(), frame.end());
  };

  DecoderPrompts out;
  const PromptSet& first = *prompts[0];
  const size_t per_set = first.labels.size() + (first.box && boxes_as_points ? 2 : 0);
  std::vector<float> coords, boxes;
  std::vector<int32_t> labels;
  for (const PromptSet* prompt : prompts) {
    require(prompt->labels.size() == first.labels.size() && prompt->box.has_value() == first.box.has_value(),
            "predict: every prompt set of a batch needs the same number of points and boxes");
    if (prompt->box) {
      const auto& box = *prompt->box;
      if (boxes_as_points) {
        // Box corners go first, as points labelled 2 and 3.
        add_point(coords, box[0], box[1]);
        add_point(coords, box[2], box[3]);
        labels.insert(labels.end(), {2, 3});
      } else {
        add_point(boxes, box[0], box[1]);
        add_point(boxes, box[2], box[3]);
      }
    }
    for (size_t i = 0; i < prompt->labels.size(); ++i) {
      add_point(coords, prompt->points[2 * i], prompt->points[2 * i + 1]);
      labels.push_back(prompt->labels[i]);
    }
  }
  if (per_set > 0) {
    const int64_t n = static_cast<int64_t>(per_set);
    out.coords = at::tensor(coords, at::kFloat).view({batch, n, 2}).to(model_.compute.device);
    out.labels = at::tensor(labels, at::kInt).view({batch, n}).to(model_.compute.device);
  }
  if (!boxes.empty()) out.boxes = at::tensor(boxes, at::kFloat).view({batch, 4}).to(model_.compute.device);
  const bool masks = first.mask_input != nullptr;
  if (masks) {
    const int64_t side = model_.low_res_size();
    std::vector<at::Tensor> inputs;
    for (const PromptSet* prompt : prompts) {
      require(prompt->mask_input != nullptr, "predict: either every prompt set of a batch has a mask input or none");
      inputs.push_back(at::from_blob(const_cast<float*>(prompt->mask_input), {1, 1, side, side}, at::kFloat));
    }
    out.mask_input = at::cat(inputs, 0).to(model_.compute.device);
  }
  return out;
}

DecoderOutput Predictor::decode(const DecoderPrompts& prompts, bool multimask, float mask_score_floor) const {
  const PromptEncoder& encoder = *model_.prompt_encoder;
  const int64_t batch = prompts.coords.defined()     ? prompts.coords.size(0)
                        : prompts.boxes.defined()      ? prompts.boxes.size(0)
                        : prompts.mask_input.defined() ? prompts.mask_input.size(0)
                                                       : 1;
  // PromptEncoder.forward: clicks (closed by a padding point unless a box follows), then box corners.
  std::vector<at::Tensor> sparse;
  if (prompts.coords.defined()) {
    sparse.push_back(encoder.embed_points(prompts.coords, prompts.labels, /*pad=*/!prompts.boxes.defined()));
  }
  if (prompts.boxes.defined()) sparse.push_back(encoder.embed_boxes(prompts.boxes));
  const at::Tensor tokens =
      sparse.empty() ? at::empty({batch, 0, encoder.sizes().embed_dim}, image_pe_.options())
      : sparse.size() == 1 ? sparse[0]
                           : at::cat(sparse, 1);
  if (model_.decoder_plan) {
    return (*model_.decoder_plan)(planned_image_, tokens, prompts.mask_input, multimask, mask_score_floor);
  }
  const at::Tensor dense =
      prompts.mask_input.defined() ? encoder.embed_masks(prompts.mask_input) : encoder.no_mask_embedding();
  return (*model_.mask_decoder)(features_.image_embed, image_pe_, tokens, dense, multimask, features_.high_res);
}

Prediction Predictor::predict(const PromptSet& prompt, const OutputOptions& options) {
  require(has_image(), "predict: no image has been set");
  require(prompt.labels.size() <= static_cast<size_t>(kMaxPoints), "predict: too many points");
  require(prompt.points.size() == 2 * prompt.labels.size(), "predict: points and labels differ in count");
  for (size_t i = 0; i < prompt.labels.size(); ++i) {
    const int32_t label = prompt.labels[i];
    require(label >= -1 && label <= 3, "predict: point " + std::to_string(i) + " has label " + std::to_string(label) +
                                           " (expected -1, 0, 1, 2 or 3)");
    require(std::isfinite(prompt.points[2 * i]) && std::isfinite(prompt.points[2 * i + 1]),
            "predict: point " + std::to_string(i) + " is not finite");
  }
  if (prompt.box) {
    for (float v : *prompt.box) require(std::isfinite(v), "predict: the box is not finite");
  }
  require((options.mask_width == 0) == (options.mask_height == 0) && options.mask_width >= 0 &&
              options.mask_height >= 0 && options.mask_width <= kMaxImageSide && options.mask_height <= kMaxImageSide,
          "predict: mask size " + std::to_string(options.mask_width) + "x" + std::to_string(options.mask_height) +
              " is invalid (0x0 for the image size, else 1..." + std::to_string(kMaxImageSide) + " each)");

  c10::InferenceMode inference;
  const AutocastScope autocast(model_.compute);
  const DecoderOutput decoded = decode(prepare_prompts({&prompt}), prompt.multimask);
  return finish(decoded.masks[0], decoded.iou_predictions[0], options);
}

std::vector<float> Predictor::mask_input(const uint8_t* mask, int32_t mask_width, int32_t mask_height) const {
  require(has_image(), "mask input: no image has been set");
  require(mask != nullptr && mask_width > 0 && mask_height > 0 && mask_width <= kMaxImageSide &&
              mask_height <= kMaxImageSide,
          "mask input: mask size " + std::to_string(mask_width) + "x" + std::to_string(mask_height) + " is invalid");
  c10::InferenceMode inference;
  const int64_t side = model_.low_res_size();
  const at::Tensor frame = model_.transforms->frame_mask(mask, mask_width, mask_height, width_, height_);
  const at::Tensor logits = at::_upsample_bilinear2d_aa(frame * 20.0 - 10.0, {side, side}, false).contiguous();
  return std::vector<float>(logits.data_ptr<float>(), logits.data_ptr<float>() + logits.numel());
}

std::vector<float> Predictor::object_embedding(const uint8_t* mask, int32_t mask_width, int32_t mask_height) const {
  require(has_image(), "object embedding: no image has been set");
  require(mask != nullptr && mask_width > 0 && mask_height > 0 && mask_width <= kMaxImageSide &&
              mask_height <= kMaxImageSide,
          "object embedding: mask size " + std::to_string(mask_width) + "x" + std::to_string(mask_height) + " is invalid");
  c10::InferenceMode inference;
  const at::Tensor frame = model_.transforms->frame_mask(mask, mask_width, mask_height, width_, height_);
  return sam::object_embedding(features_.image_embed, frame);
}

DecoderOutput Predictor::predict_batch(const std::vector<const PromptSet*>& prompts, bool multimask,
                                       float mask_score_floor) {
  require(has_image(), "predict: no image has been set");
  require(!prompts.empty(), "predict: an empty batch");
  c10::InferenceMode inference;
  const AutocastScope autocast(model_.compute);
  return decode(prepare_prompts(prompts), multimask, mask_score_floor);
}

Prediction Predictor::finish(const at::Tensor& low_res, const at::Tensor& scores, const OutputOptions& options) const {
  Prediction out;
  out.count = static_cast<int32_t>(low_res.size(0));
  out.low_res_size = static_cast<int32_t>(low_res.size(-1));
  const at::Tensor cpu_scores = scores.to(at::kCPU, at::kFloat).contiguous();
  out.scores.assign(cpu_scores.data_ptr<float>(), cpu_scores.data_ptr<float>() + out.count);
  out.best = 0;
  for (int32_t i = 1; i < out.count; ++i)
    if (out.scores[i] > out.scores[out.best]) out.best = i;

  const at::Tensor returned = model_.transforms->returned_logits(low_res).to(at::kCPU, at::kFloat).contiguous();
  out.low_res_logits.assign(returned.data_ptr<float>(), returned.data_ptr<float>() + returned.numel());

  out.mask_width = options.mask_width ? options.mask_width : width_;
  out.mask_height = options.mask_height ? options.mask_height : height_;
  // Resized from the logits as the decoder gave them (SAM 2 too upsamples the unclamped ones).
  const at::Tensor logits = low_res.to(at::kCPU, at::kFloat).contiguous();
  const int64_t side = out.low_res_size;
  out.masks.resize(out.count);
  for (int32_t i = 0; i < out.count; ++i) {
    if (options.best_mask_only && i != out.best) continue;
    out.masks[i].resize(static_cast<size_t>(out.mask_width) * out.mask_height);
    model_.transforms->threshold_mask(logits.data_ptr<float>() + i * side * side, side, width_, height_,
                                      out.masks[i].data(), out.mask_width, out.mask_height);
  }
  return out;
}

}  // namespace sam
