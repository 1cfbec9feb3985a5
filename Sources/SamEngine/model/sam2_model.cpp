#include "model/sam2_model.h"

#include <cstdlib>
#include <cstring>

#include "engine_error.h"
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

// SAMTERM_DECODER_ORDER=reference|reordered forces the order of the decoder's image/token
// attentions (default: the cheaper one). A diagnostic knob: the parity tests run both orders.
AttentionOrder attention_order_from_environment() {
  const char* value = std::getenv("SAMTERM_DECODER_ORDER");
  if (!value || !*value || std::strcmp(value, "auto") == 0) return AttentionOrder::Automatic;
  if (std::strcmp(value, "reference") == 0) return AttentionOrder::Reference;
  if (std::strcmp(value, "reordered") == 0) return AttentionOrder::Reordered;
  throw Error(SAM_ERROR_ARGUMENT, std::string("SAMTERM_DECODER_ORDER='") + value +
                                      "': expected auto, reference or reordered");
}

}  // namespace

std::unique_ptr<SamModel> build_sam2_model(Weights& weights, const Preset& preset, at::Device device) {
  for (const char* prefix : kVideoOnlyPrefixes) weights.ignore_prefix(prefix);

  auto model = std::make_unique<SamModel>();
  model->preset = preset;
  model->device = device;
  model->transforms = make_sam2_transforms(preset.image_size);
  model->image_encoder = make_sam2_image_encoder(weights, preset);

  PromptEncoderSizes prompt_sizes;
  prompt_sizes.embed_dim = preset.d_model;
  prompt_sizes.image_embedding_size = model->embedding_size();
  prompt_sizes.image_size = preset.image_size;
  prompt_sizes.mask_in_chans = 16;
  model->prompt_encoder = std::make_unique<PromptEncoder>(weights, "sam_prompt_encoder.", prompt_sizes);

  // SAM2Base._build_sam_heads: depth 2, 8 heads, MLP 2048, IoU head 3 x 256, 3 multimask outputs.
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
  decoder.use_high_res_features = preset.use_high_res_features;
  decoder.iou_prediction_use_sigmoid = preset.iou_prediction_use_sigmoid;
  decoder.pred_obj_scores = preset.pred_obj_scores;
  decoder.pred_obj_scores_mlp = preset.pred_obj_scores_mlp;
  decoder.dynamic_multimask_via_stability = preset.dynamic_multimask_via_stability;
  decoder.dynamic_multimask_stability_delta = preset.dynamic_multimask_stability_delta;
  decoder.dynamic_multimask_stability_thresh = preset.dynamic_multimask_stability_thresh;
  decoder.attention_order = attention_order_from_environment();
  model->mask_decoder = std::make_unique<MaskDecoder>(weights, "sam_mask_decoder.", decoder);
  return model;
}

}  // namespace sam
