// The sam_model_*, sam_predictor_* and sam_prediction_* functions of sam_engine.h: argument
// checks, device selection, and every exception turned into a status and one line in the
// caller's sam_error.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <c10/util/Exception.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include "api_boundary.h"
#include "api_handles.h"
#include "engine_error.h"
#include "include/sam_engine.h"
#include "amg/amg.h"
#include "amg/automatic_masks.h"
#include "model/predictor.h"
#include "model/sam_model.h"
#include "system_info.h"

struct sam_predictor {
  std::unique_ptr<sam::Predictor> predictor;
};

struct sam_prediction {
  sam::Prediction result;
};

struct sam_auto_masks {
  std::vector<sam::AutomaticMask> masks;
  int32_t width = 0, height = 0;
};

namespace {

using sam::require;

using sam::torch_guarded;

at::Device pick_device(const char* requested) {
  const std::string name = requested ? requested : "auto";
  const bool has_cuda = at::hasCUDA();
  if (name == "auto" || name.empty()) return has_cuda ? at::Device(at::kCUDA) : at::Device(at::kCPU);
  if (name == "cpu") return at::kCPU;
  if (name == "cuda") {
    if (!sam::cuda_built()) {
      throw sam::Error(SAM_ERROR_DEVICE, "device 'cuda': this LibTorch has no CUDA (build samterm against a CUDA "
                                         "LibTorch: LIBTORCH=... make build)");
    }
    if (!has_cuda) throw sam::Error(SAM_ERROR_DEVICE, "device 'cuda': no CUDA device found");
    return at::kCUDA;
  }
  throw sam::Error(SAM_ERROR_ARGUMENT, "device '" + name + "': expected auto, cpu or cuda");
}

const char* precision_name(at::ScalarType type) {
  return type == at::kBFloat16 ? "bf16" : type == at::kHalf ? "fp16" : "fp32";
}

// The precision autocast runs the products in; auto is what the official code uses on CUDA.
at::ScalarType pick_precision(sam_precision requested, const at::Device& device) {
  switch (requested) {
    case SAM_PRECISION_AUTO:
      // bfloat16 needs compute capability 8 (Ampere) or later, as torch.cuda.is_bf16_supported says.
      return device.is_cuda() && sam::cuda_compute_capability_major(0) >= 8 ? at::kBFloat16 : at::kFloat;
    case SAM_PRECISION_FP32: return at::kFloat;
    case SAM_PRECISION_BF16: return at::kBFloat16;
    case SAM_PRECISION_FP16: return at::kHalf;
  }
  throw sam::Error(SAM_ERROR_ARGUMENT, "precision " + std::to_string(requested) + ": expected auto, fp32, bf16 or fp16");
}

sam::Compute pick_compute(const sam_model_options* options) {
  sam::Compute compute;
  compute.device = pick_device(options ? options->device : nullptr);
  const sam_kernels kernels = options ? options->kernels : SAM_KERNELS_AUTO;
  require(kernels == SAM_KERNELS_AUTO || kernels == SAM_KERNELS_GENERIC,
          "kernels " + std::to_string(kernels) + ": expected auto or generic");
  compute.precision = pick_precision(options ? options->precision : SAM_PRECISION_AUTO, compute.device);
  // The CPU's kernels are float32 code: lower precisions take the generic path, as on a GPU.
  compute.cpu_kernels = compute.device.is_cpu() && kernels == SAM_KERNELS_AUTO && compute.precision == at::kFloat;
  try {
    const sam::AutocastScope trial(compute);  // refused here rather than at the first image
  } catch (const c10::Error& failure) {
    throw sam::Error(SAM_ERROR_ARGUMENT, std::string("precision ") + precision_name(compute.precision) + " on " +
                                             compute.device.str() + ": this LibTorch's autocast refuses it (" +
                                             failure.what_without_backtrace() + ")");
  }
  switch (options ? options->decoder_order : SAM_DECODER_ORDER_AUTO) {
    case SAM_DECODER_ORDER_AUTO: compute.decoder_order = sam::AttentionOrder::Automatic; break;
    case SAM_DECODER_ORDER_REFERENCE: compute.decoder_order = sam::AttentionOrder::Reference; break;
    case SAM_DECODER_ORDER_REORDERED: compute.decoder_order = sam::AttentionOrder::Reordered; break;
    default: throw sam::Error(SAM_ERROR_ARGUMENT, "decoder_order: expected auto, reference or reordered");
  }
  return compute;
}


}  // namespace

extern "C" {

sam_status sam_model_load(const char* checkpoint_path, const sam_model_options* options, sam_model** out,
                          sam_error* error) {
  return torch_guarded(error, [&] {
    require(out != nullptr, "sam_model_load: no output handle");
    *out = nullptr;
    require(checkpoint_path != nullptr, "sam_model_load: no checkpoint path");
    const char* model_name = options ? options->model_name : nullptr;
    const int32_t threads = options ? options->threads : 0;
    require(threads >= 0, "sam_model_load: threads must be 0 (default) or positive, not " + std::to_string(threads));
    const sam::Compute compute = pick_compute(options);
    // OpenMP here may start with one thread whatever the core count (seen on Debian 12's
    // libtorch), leaving oneDNN convolutions and element-wise kernels on a single core.
    at::set_num_threads(threads > 0 ? threads : std::max(1u, std::thread::hardware_concurrency()));
    auto model = std::make_unique<sam_model>();
    model->model = sam::load_sam_model(checkpoint_path, model_name ? model_name : "", compute);
    model->checkpoint_path = checkpoint_path;
    model->device_name = compute.device.is_cuda() ? "cuda" : "cpu";
    *out = model.release();
  });
}

void sam_model_free(sam_model* model) { delete model; }

const char* sam_model_name(const sam_model* model) { return model ? model->model->preset.name.c_str() : ""; }

const char* sam_model_device(const sam_model* model) { return model ? model->device_name.c_str() : ""; }

const char* sam_model_kernels(const sam_model* model) {
  return model ? (model->model->compute.cpu_kernels ? "cpu-kernels" : "generic") : "";
}

const char* sam_model_precision(const sam_model* model) {
  return model ? precision_name(model->model->compute.precision) : "";
}

int32_t sam_model_low_res_size(const sam_model* model) {
  return model ? static_cast<int32_t>(model->model->low_res_size()) : 0;
}

sam_status sam_predictor_new(sam_model* model, sam_predictor** out, sam_error* error) {
  return torch_guarded(error, [&] {
    require(out != nullptr, "sam_predictor_new: no output handle");
    *out = nullptr;
    require(model != nullptr, "sam_predictor_new: no model");
    auto predictor = std::make_unique<sam_predictor>();
    predictor->predictor = std::make_unique<sam::Predictor>(*model->model);
    *out = predictor.release();
  });
}

void sam_predictor_free(sam_predictor* predictor) { delete predictor; }

sam_status sam_predictor_set_image(sam_predictor* predictor, const uint8_t* rgb, int32_t width, int32_t height,
                                   sam_error* error) {
  return torch_guarded(error, [&] {
    require(predictor != nullptr, "sam_predictor_set_image: no predictor");
    predictor->predictor->set_image(rgb, width, height);
  });
}

int32_t sam_predictor_has_image(const sam_predictor* predictor) {
  return predictor && predictor->predictor->has_image() ? 1 : 0;
}

sam_status sam_predictor_save_embedding(const sam_predictor* predictor, const char* path, const char* image_key,
                                        sam_error* error) {
  return torch_guarded(error, [&] {
    require(predictor != nullptr, "sam_predictor_save_embedding: no predictor");
    require(path != nullptr, "sam_predictor_save_embedding: no path");
    predictor->predictor->save_embedding(path, image_key ? image_key : "");
  });
}

sam_status sam_predictor_load_embedding(sam_predictor* predictor, const char* path, const char* image_key,
                                        sam_error* error) {
  return torch_guarded(error, [&] {
    require(predictor != nullptr, "sam_predictor_load_embedding: no predictor");
    require(path != nullptr, "sam_predictor_load_embedding: no path");
    predictor->predictor->load_embedding(path, image_key ? image_key : "");
  });
}

sam_status sam_predictor_predict(sam_predictor* predictor, const sam_prompt* prompt, const sam_output_options* options,
                                 sam_prediction** out, sam_error* error) {
  return torch_guarded(error, [&] {
    require(out != nullptr, "sam_predictor_predict: no output handle");
    *out = nullptr;
    require(predictor != nullptr, "sam_predictor_predict: no predictor");
    require(prompt != nullptr, "sam_predictor_predict: no prompt");
    require(prompt->n_points >= 0, "sam_predictor_predict: n_points is negative");
    require(prompt->n_points == 0 || (prompt->points && prompt->labels),
            "sam_predictor_predict: n_points > 0 but points or labels is NULL");
    sam::PromptSet set;
    set.points.assign(prompt->points, prompt->points + 2 * static_cast<size_t>(prompt->n_points));
    set.labels.assign(prompt->labels, prompt->labels + prompt->n_points);
    if (prompt->box) set.box = std::array<float, 4>{prompt->box[0], prompt->box[1], prompt->box[2], prompt->box[3]};
    set.mask_input = prompt->mask_input;
    set.multimask = prompt->multimask != 0;
    sam::OutputOptions output;
    if (options) {
      output.mask_width = options->mask_width;
      output.mask_height = options->mask_height;
      output.best_mask_only = options->best_mask_only != 0;
    }
    auto prediction = std::make_unique<sam_prediction>();
    prediction->result = predictor->predictor->predict(set, output);
    *out = prediction.release();
  });
}

void sam_prediction_free(sam_prediction* prediction) { delete prediction; }

sam_status sam_predictor_mask_input(const sam_predictor* predictor, const uint8_t* mask, int32_t width, int32_t height,
                                    float* out, sam_error* error) {
  return torch_guarded(error, [&] {
    require(predictor != nullptr, "sam_predictor_mask_input: no predictor");
    require(out != nullptr, "sam_predictor_mask_input: no output");
    const std::vector<float> logits = predictor->predictor->mask_input(mask, width, height);
    std::copy(logits.begin(), logits.end(), out);
  });
}

int32_t sam_predictor_embedding_size(const sam_predictor* predictor) {
  return predictor ? static_cast<int32_t>(predictor->predictor->embedding_channels()) : 0;
}

sam_status sam_predictor_object_embedding(const sam_predictor* predictor, const uint8_t* mask, int32_t width,
                                          int32_t height, float* out, int32_t count, sam_error* error) {
  return torch_guarded(error, [&] {
    require(predictor != nullptr, "sam_predictor_object_embedding: no predictor");
    require(out != nullptr, "sam_predictor_object_embedding: no output");
    const std::vector<float> embedding = predictor->predictor->object_embedding(mask, width, height);
    require(count == static_cast<int32_t>(embedding.size()),
            "sam_predictor_object_embedding: room for " + std::to_string(count) + " values, the embedding has " +
                std::to_string(embedding.size()));
    std::copy(embedding.begin(), embedding.end(), out);
  });
}

int32_t sam_remove_small_regions(uint8_t* mask, int32_t width, int32_t height, int64_t min_area, int32_t holes) {
  if (!mask || width <= 0 || height <= 0) return 0;
  std::vector<uint8_t> working(mask, mask + static_cast<size_t>(width) * height);
  if (!sam::remove_small_regions(working, height, width, min_area, holes != 0)) return 0;
  std::copy(working.begin(), working.end(), mask);
  return 1;
}

int32_t sam_prediction_count(const sam_prediction* prediction) { return prediction ? prediction->result.count : 0; }

const float* sam_prediction_scores(const sam_prediction* prediction) {
  return prediction ? prediction->result.scores.data() : nullptr;
}

int32_t sam_prediction_best(const sam_prediction* prediction) { return prediction ? prediction->result.best : -1; }

int32_t sam_prediction_mask_width(const sam_prediction* prediction) {
  return prediction ? prediction->result.mask_width : 0;
}

int32_t sam_prediction_mask_height(const sam_prediction* prediction) {
  return prediction ? prediction->result.mask_height : 0;
}

const uint8_t* sam_prediction_mask(const sam_prediction* prediction, int32_t index) {
  if (!prediction || index < 0 || index >= prediction->result.count) return nullptr;
  const auto& mask = prediction->result.masks[index];
  return mask.empty() ? nullptr : mask.data();
}

const float* sam_prediction_low_res_logits(const sam_prediction* prediction, int32_t index) {
  if (!prediction || index < 0 || index >= prediction->result.count) return nullptr;
  const size_t side = static_cast<size_t>(prediction->result.low_res_size);
  return prediction->result.low_res_logits.data() + static_cast<size_t>(index) * side * side;
}

sam_auto_options sam_auto_default_options(const sam_model* model) {
  const sam::AutomaticMaskOptions defaults =
      sam::default_automatic_mask_options(model ? model->model->preset.family : sam::Family::Sam2);
  sam_auto_options out;
  out.points_per_side = defaults.points_per_side;
  out.points_per_batch = defaults.points_per_batch;
  out.pred_iou_thresh = defaults.pred_iou_thresh;
  out.stability_score_thresh = defaults.stability_score_thresh;
  out.stability_score_offset = defaults.stability_score_offset;
  out.mask_threshold = defaults.mask_threshold;
  out.box_nms_thresh = defaults.box_nms_thresh;
  out.crop_n_layers = defaults.crop_n_layers;
  out.crop_nms_thresh = defaults.crop_nms_thresh;
  out.crop_overlap_ratio = defaults.crop_overlap_ratio;
  out.crop_n_points_downscale_factor = defaults.crop_n_points_downscale_factor;
  out.min_mask_region_area = defaults.min_mask_region_area;
  out.use_m2m = defaults.use_m2m ? 1 : 0;
  out.multimask_output = defaults.multimask_output ? 1 : 0;
  out.progress = nullptr;
  out.progress_user = nullptr;
  return out;
}

sam_status sam_predictor_generate_masks(sam_predictor* predictor, const uint8_t* rgb, int32_t width, int32_t height,
                                        const sam_auto_options* options, sam_auto_masks** out, sam_error* error) {
  return torch_guarded(error, [&] {
    require(out != nullptr, "sam_predictor_generate_masks: no output handle");
    *out = nullptr;
    require(predictor != nullptr, "sam_predictor_generate_masks: no predictor");
    sam::AutomaticMaskOptions settings =
        sam::default_automatic_mask_options(predictor->predictor->model().preset.family);
    if (options) {
      settings.points_per_side = options->points_per_side;
      settings.points_per_batch = options->points_per_batch;
      settings.pred_iou_thresh = options->pred_iou_thresh;
      settings.stability_score_thresh = options->stability_score_thresh;
      settings.stability_score_offset = options->stability_score_offset;
      settings.mask_threshold = options->mask_threshold;
      settings.box_nms_thresh = options->box_nms_thresh;
      settings.crop_n_layers = options->crop_n_layers;
      settings.crop_nms_thresh = options->crop_nms_thresh;
      settings.crop_overlap_ratio = options->crop_overlap_ratio;
      settings.crop_n_points_downscale_factor = options->crop_n_points_downscale_factor;
      settings.min_mask_region_area = options->min_mask_region_area;
      settings.use_m2m = options->use_m2m != 0;
      settings.multimask_output = options->multimask_output != 0;
      if (options->progress) {
        const sam_auto_progress_fn progress = options->progress;
        void* user = options->progress_user;
        settings.progress = [progress, user](const sam::AutomaticMaskProgress& where) {
          const sam_auto_progress report{where.points_done, where.points_total, where.crops_done, where.crops_total};
          return progress(user, &report) == 0;
        };
      }
    }
    auto result = std::make_unique<sam_auto_masks>();
    result->masks = sam::generate_automatic_masks(*predictor->predictor, rgb, width, height, settings);
    result->width = width;
    result->height = height;
    *out = result.release();
  });
}

void sam_auto_masks_free(sam_auto_masks* masks) { delete masks; }

int32_t sam_auto_masks_count(const sam_auto_masks* masks) {
  return masks ? static_cast<int32_t>(masks->masks.size()) : 0;
}

int32_t sam_auto_masks_width(const sam_auto_masks* masks) { return masks ? masks->width : 0; }

int32_t sam_auto_masks_height(const sam_auto_masks* masks) { return masks ? masks->height : 0; }

int32_t sam_auto_masks_info(const sam_auto_masks* masks, int32_t index, sam_auto_mask_info* out) {
  if (!masks || !out || index < 0 || index >= sam_auto_masks_count(masks)) return 0;
  const sam::AutomaticMask& mask = masks->masks[index];
  out->area = mask.area;
  for (int i = 0; i < 4; ++i) {
    out->bbox[i] = mask.bbox[i];
    out->crop_box[i] = mask.crop_box[i];
  }
  out->predicted_iou = mask.predicted_iou;
  out->stability_score = mask.stability_score;
  out->point[0] = mask.point[0];
  out->point[1] = mask.point[1];
  out->rle_length = static_cast<int32_t>(mask.rle.size());
  return 1;
}

const uint32_t* sam_auto_masks_rle(const sam_auto_masks* masks, int32_t index) {
  if (!masks || index < 0 || index >= sam_auto_masks_count(masks)) return nullptr;
  return masks->masks[index].rle.data();
}

}  // extern "C"
