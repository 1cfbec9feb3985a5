#include "model/sam_model.h"

#include "checkpoint/checkpoint.h"
#include "engine_error.h"
#include "model/weights.h"
#include "sam1/image_encoder.h"
#include "sam1/transforms.h"
#include "sam2/image_encoder.h"
#include "sam2/transforms.h"

namespace sam {
namespace {

// State dict entries of SAM2Base that only video tracking uses (memory attention and encoder,
// object pointers, temporal encodings).
const char* const kVideoOnlyPrefixes[] = {
    "memory_attention.",  "memory_encoder.",   "maskmem_tpos_enc", "no_mem_pos_enc",
    "no_obj_ptr",         "no_obj_embed_spatial", "obj_ptr_proj.",   "obj_ptr_tpos_proj.",
    "mask_downsample.",
};

// SAM2Base._build_sam_heads and SAM 1's _build_sam alike: a two-way transformer of depth 2
// with 8 heads and an MLP of 2048, an IoU head of 3 x 256, 3 multimask outputs; what differs
// between the models is in the preset.
MaskDecoderConfig decoder_config(const Preset& preset) {
  MaskDecoderConfig decoder;
  decoder.transformer_dim = preset.d_model;
  decoder.num_multimask_outputs = 3;
  decoder.iou_head_depth = 3;
  decoder.iou_head_hidden_dim = 256;
  decoder.transformer.depth = 2;
  decoder.transformer.embedding_dim = preset.d_model;
  decoder.transformer.num_heads = 8;
  decoder.transformer.mlp_dim = 2048;
  decoder.transformer.attention_downsample_rate = 2;
  decoder.transformer.mlp_lin_names = preset.family == Family::Sam1;
  decoder.use_high_res_features = preset.use_high_res_features;
  decoder.iou_prediction_use_sigmoid = preset.iou_prediction_use_sigmoid;
  decoder.pred_obj_scores = preset.pred_obj_scores;
  decoder.pred_obj_scores_mlp = preset.pred_obj_scores_mlp;
  decoder.dynamic_multimask_via_stability = preset.dynamic_multimask_via_stability;
  decoder.dynamic_multimask_stability_delta = preset.dynamic_multimask_stability_delta;
  decoder.dynamic_multimask_stability_thresh = preset.dynamic_multimask_stability_thresh;
  return decoder;
}

std::unique_ptr<SamModel> build_model(Weights& weights, const Preset& preset) {
  // SAM 1 keys its modules image_encoder / prompt_encoder / mask_decoder, SAM 2 prefixes the
  // heads with sam_; SAM 2 files also hold the video modules.
  const bool sam1 = preset.family == Family::Sam1;
  if (!sam1) {
    for (const char* prefix : kVideoOnlyPrefixes) weights.ignore_prefix(prefix);
  }
  auto model = std::make_unique<SamModel>();
  model->preset = preset;
  model->compute = weights.compute();
  model->transforms = sam1 ? make_sam1_transforms(preset.image_size) : make_sam2_transforms(preset.image_size);
  model->image_encoder = sam1 ? make_sam1_image_encoder(weights, preset) : make_sam2_image_encoder(weights, preset);

  PromptEncoderSizes prompt_sizes;
  prompt_sizes.embed_dim = preset.d_model;
  prompt_sizes.image_embedding_size = model->embedding_size();
  prompt_sizes.image_size = preset.image_size;
  prompt_sizes.mask_in_chans = 16;
  prompt_sizes.embeds_corner_labels = !sam1;  // SAM 1's boxes take the box path
  model->prompt_encoder =
      std::make_unique<PromptEncoder>(weights, sam1 ? "prompt_encoder." : "sam_prompt_encoder.", prompt_sizes);
  model->mask_decoder =
      std::make_unique<MaskDecoder>(weights, sam1 ? "mask_decoder." : "sam_mask_decoder.", decoder_config(preset));
  if (model->compute.cpu_kernels) {
    model->decoder_plan = std::make_unique<DecoderPlan>(*model->mask_decoder, *model->prompt_encoder,
                                                        model->compute.decoder_order);
  }
  return model;
}

}  // namespace

std::unique_ptr<SamModel> load_sam_model(const std::string& checkpoint_path, const std::string& model_name,
                                         const Compute& compute) {
  const std::unique_ptr<Checkpoint> checkpoint = Checkpoint::open(checkpoint_path);
  const Preset* preset = nullptr;
  if (model_name.empty()) {
    preset = detect_preset(*checkpoint);
    if (!preset) {
      throw Error(SAM_ERROR_MODEL, checkpoint_path + ": not a checkpoint of any known SAM model (" +
                                       std::to_string(checkpoint->tensors().size()) +
                                       " tensors); name the model explicitly to see which tensors differ");
    }
  } else {
    preset = find_preset(model_name);
    if (!preset) {
      std::string known;
      for (const Preset& p : presets()) known += (known.empty() ? "" : ", ") + p.name;
      throw Error(SAM_ERROR_ARGUMENT, "unknown model name '" + model_name + "' (known: " + known + ")");
    }
  }
  Weights weights(*checkpoint, compute);
  std::unique_ptr<SamModel> model = build_model(weights, *preset);
  try {
    weights.check_complete(preset->name);
  } catch (const Error& error) {
    throw Error(error.status(), checkpoint_path + ": " + error.what());
  }
  return model;
}

}  // namespace sam
