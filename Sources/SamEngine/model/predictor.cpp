#include "model/predictor.h"

#include <c10/core/InferenceMode.h>

#include <cmath>

#include "engine_error.h"
#include "model/blas_threads.h"
#include "model/embedding_file.h"
#include "model/mask_upsampling.h"

namespace sam {
namespace {

// SAM2Transforms: ImageNet statistics on [0, 1] pixels.
constexpr float kMean[3] = {0.485f, 0.456f, 0.406f};
constexpr float kStd[3] = {0.229f, 0.224f, 0.225f};
// SAM2ImagePredictor clamps the low-resolution logits it returns.
constexpr double kLogitClamp = 32.0;
constexpr int64_t kMaxImageSide = 1 << 15;
constexpr int64_t kMaxPoints = 1 << 12;

void require(bool condition, const std::string& message) {
  if (!condition) throw Error(SAM_ERROR_ARGUMENT, message);
}

}  // namespace

Predictor::Predictor(const SamModel& model) : model_(model) {}

at::Tensor Predictor::preprocess(const uint8_t* rgb, int32_t width, int32_t height) const {
  const int64_t size = model_.image_size();
  // ToTensor: HWC uint8 -> CHW float in [0, 1].
  at::Tensor image = at::from_blob(const_cast<uint8_t*>(rgb), {height, width, 3}, at::kByte)
                         .permute({2, 0, 1})
                         .contiguous()
                         .to(at::kFloat)
                         .div(255)
                         .unsqueeze(0)
                         .to(model_.device);
  // torchvision Resize((size, size)) on a tensor: bilinear, align_corners=False, antialias=True.
  at::Tensor resized = at::_upsample_bilinear2d_aa(image, {size, size}, false);
  const auto options = resized.options();
  const at::Tensor mean = at::tensor(at::ArrayRef<float>(kMean, 3), options.device(at::kCPU)).to(model_.device);
  const at::Tensor std = at::tensor(at::ArrayRef<float>(kStd, 3), options.device(at::kCPU)).to(model_.device);
  return resized.sub(mean.view({1, 3, 1, 1})).div(std.view({1, 3, 1, 1}));
}

void Predictor::set_image(const uint8_t* rgb, int32_t width, int32_t height) {
  require(rgb != nullptr, "set_image: no pixels given");
  require(width > 0 && height > 0 && width <= kMaxImageSide && height <= kMaxImageSide,
          "set_image: image size " + std::to_string(width) + "x" + std::to_string(height) +
              " is outside 1..." + std::to_string(kMaxImageSide));
  c10::InferenceMode inference;
  features_ = ImageFeatures{};
  decoder_image_ = DecoderImage{};
  cache_features(model_.image_encoder->encode(preprocess(rgb, width, height)), width, height);
}

void Predictor::cache_features(ImageFeatures features, int32_t width, int32_t height) {
  features_ = std::move(features);
  width_ = width;
  height_ = height;
  decoder_image_ = model_.mask_decoder->prepare_image(features_.image_embed, features_.high_res,
                                                      model_.prompt_encoder->dense_positional_encoding(),
                                                      model_.prompt_encoder->no_mask_embedding());
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
  const int64_t c = model_.preset.d_model, e = model_.embedding_size();
  std::vector<std::vector<int64_t>> shapes = {{1, c, e, e}};
  if (model_.preset.use_high_res_features) {
    shapes.push_back({1, c / 8, 4 * e, 4 * e});
    shapes.push_back({1, c / 4, 2 * e, 2 * e});
  }
  EmbeddingFile file = read_embedding_file(path, model_.preset.name, image_key, shapes);
  if (file.width > kMaxImageSide || file.height > kMaxImageSide) {
    throw Error(SAM_ERROR_FORMAT, path + ": not a usable embedding file: image size out of range");
  }
  c10::InferenceMode inference;
  ImageFeatures features;
  features.image_embed = file.tensors[0].to(model_.device);
  for (size_t i = 1; i < file.tensors.size(); ++i) features.high_res.push_back(file.tensors[i].to(model_.device));
  cache_features(std::move(features), file.width, file.height);
}

Predictor::DecoderPrompts Predictor::prepare_prompts(const std::vector<const PromptSet*>& prompts) const {
  const int64_t batch = static_cast<int64_t>(prompts.size());
  const float size = static_cast<float>(model_.image_size());
  const float width = static_cast<float>(width_), height = static_cast<float>(height_);
  // SAM2Transforms.transform_coords: normalise by the original size, then scale to the frame.
  auto to_frame_x = [&](float x) { return (x / width) * size; };
  auto to_frame_y = [&](float y) { return (y / height) * size; };

  DecoderPrompts out;
  const size_t per_set = prompts[0]->labels.size() + (prompts[0]->box ? 2 : 0);
  if (per_set > 0) {
    std::vector<float> coords;
    std::vector<int32_t> labels;
    for (const PromptSet* prompt : prompts) {
      require(prompt->labels.size() + (prompt->box ? 2 : 0) == per_set,
              "predict: every prompt set of a batch needs the same number of points");
      // Box corners go first, as points labelled 2 and 3.
      if (prompt->box) {
        const auto& box = *prompt->box;
        coords.insert(coords.end(), {to_frame_x(box[0]), to_frame_y(box[1]), to_frame_x(box[2]), to_frame_y(box[3])});
        labels.insert(labels.end(), {2, 3});
      }
      for (size_t i = 0; i < prompt->labels.size(); ++i) {
        coords.push_back(to_frame_x(prompt->points[2 * i]));
        coords.push_back(to_frame_y(prompt->points[2 * i + 1]));
        labels.push_back(prompt->labels[i]);
      }
    }
    const int64_t n = static_cast<int64_t>(per_set);
    out.coords = at::tensor(coords, at::kFloat).view({batch, n, 2}).to(model_.device);
    out.labels = at::tensor(labels, at::kInt).view({batch, n}).to(model_.device);
  }
  const bool masks = prompts[0]->mask_input != nullptr;
  if (masks) {
    const int64_t side = model_.low_res_size();
    std::vector<at::Tensor> inputs;
    for (const PromptSet* prompt : prompts) {
      require(prompt->mask_input != nullptr, "predict: either every prompt set of a batch has a mask input or none");
      inputs.push_back(at::from_blob(const_cast<float*>(prompt->mask_input), {1, 1, side, side}, at::kFloat));
    }
    out.mask_input = at::cat(inputs, 0).to(model_.device);
  }
  return out;
}

DecoderOutput Predictor::decode(const DecoderPrompts& prompts, bool multimask, float mask_score_floor) const {
  const PromptEncoder& encoder = *model_.prompt_encoder;
  const int64_t batch = prompts.coords.defined() ? prompts.coords.size(0)
                        : prompts.mask_input.defined() ? prompts.mask_input.size(0)
                                                       : 1;
  at::Tensor sparse;
  if (prompts.coords.defined()) {
    // The image predictor sends boxes through the point path, so a padding point always closes the list.
    sparse = encoder.embed_points(prompts.coords, prompts.labels, /*pad=*/true);
  } else {
    sparse = at::empty({batch, 0, encoder.sizes().embed_dim}, decoder_image_.image_tokens.options());
  }
  const at::Tensor dense = prompts.mask_input.defined() ? encoder.embed_masks(prompts.mask_input) : at::Tensor();
  return (*model_.mask_decoder)(decoder_image_, sparse, dense, multimask, mask_score_floor);
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
  const DecoderOutput decoded = decode(prepare_prompts({&prompt}), prompt.multimask);
  return finish(decoded.masks[0], decoded.iou_predictions[0], options);
}

DecoderOutput Predictor::predict_batch(const std::vector<const PromptSet*>& prompts, bool multimask,
                                       float mask_score_floor) {
  require(has_image(), "predict: no image has been set");
  require(!prompts.empty(), "predict: an empty batch");
  c10::InferenceMode inference;
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

  const at::Tensor clamped = low_res.clamp(-kLogitClamp, kLogitClamp).to(at::kCPU).contiguous();
  out.low_res_logits.assign(clamped.data_ptr<float>(), clamped.data_ptr<float>() + clamped.numel());

  out.mask_width = options.mask_width ? options.mask_width : width_;
  out.mask_height = options.mask_height ? options.mask_height : height_;
  // Upsampled from the unclamped logits, as the reference does.
  const at::Tensor logits = low_res.to(at::kCPU).contiguous();
  const int64_t side = out.low_res_size;
  out.masks.resize(out.count);
  for (int32_t i = 0; i < out.count; ++i) {
    if (options.best_mask_only && i != out.best) continue;
    out.masks[i].resize(static_cast<size_t>(out.mask_width) * out.mask_height);
    upsample_threshold(logits.data_ptr<float>() + i * side * side, side, side, out.masks[i].data(), out.mask_height,
                       out.mask_width);
  }
  return out;
}

}  // namespace sam
