#include "model/sam1_model.h"

#include "engine_error.h"
#include "sam1/image_encoder.h"
#include "sam1/transforms.h"

namespace sam {

std::unique_ptr<SamModel> build_sam1_model(Weights& weights, const Preset& preset, at::Device device) {
  if (preset.family != Family::Sam1) throw Error(SAM_ERROR_INTERNAL, preset.name + " is not a SAM 1 preset");
  auto model = std::make_unique<SamModel>();
  model->preset = preset;
  model->device = device;
  model->transforms = make_sam1_transforms(preset.image_size);
  model->image_encoder = make_sam1_image_encoder(weights, preset);

  PromptEncoderSizes prompt_sizes;
  prompt_sizes.embed_dim = preset.d_model;
  prompt_sizes.image_embedding_size = model->embedding_size();
  prompt_sizes.image_size = preset.image_size;
  prompt_sizes.mask_in_chans = 16;
  prompt_sizes.embeds_corner_labels = false;
  model->prompt_encoder = std::make_unique<PromptEncoder>(weights, "prompt_encoder.", prompt_sizes);

  // _build_sam: TwoWayTransformer(depth 2, 8 heads, MLP 2048), IoU head 3 x 256, 3 multimask
  // outputs; no high-res features, no object score head, raw IoU logits, and the single-mask
  // output is always the first mask token's (no stability fallback).
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
  decoder.transformer.mlp_lin_names = true;
  decoder.use_high_res_features = preset.use_high_res_features;
  decoder.iou_prediction_use_sigmoid = preset.iou_prediction_use_sigmoid;
  decoder.pred_obj_scores = preset.pred_obj_scores;
  decoder.pred_obj_scores_mlp = preset.pred_obj_scores_mlp;
  decoder.dynamic_multimask_via_stability = preset.dynamic_multimask_via_stability;
  model->mask_decoder = std::make_unique<MaskDecoder>(weights, "mask_decoder.", decoder);
  return model;
}

}  // namespace sam
