#include "video/sam2_tracker.h"

#include <cstdlib>

#include "checkpoint/checkpoint.h"
#include "engine_error.h"
#include "model/weights.h"
#include "video/position_encoding_sine.h"

namespace sam {
namespace {

// Mask logits of +-10 for a mask given as the output (_use_mask_as_output), and the scale
// and bias of the mask's sigmoid for the memory encoder (sigmoid_scale_for_mem_enc,
// sigmoid_bias_for_mem_enc): the same numbers in every official config.
constexpr double kMaskOutScale = 20.0, kMaskOutBias = -10.0;
constexpr double kMemorySigmoidScale = 20.0, kMemorySigmoidBias = -10.0;

// Image-predictor tensors, read by SamModel; the tracker reads the rest.
const char* const kImagePrefixes[] = {"image_encoder.", "sam_prompt_encoder.", "sam_mask_decoder."};

at::Tensor tokens(const at::Tensor& map) { return map.flatten(2).transpose(1, 2); }  // [B, C, h, w] -> [B, hw, C]

}  // namespace

Sam2Tracker::Sam2Tracker(const SamModel& model, const std::string& checkpoint_path)
    : model_(model),
      sizes_(model.preset.video),
      hidden_dim_(model.preset.d_model),
      grid_side_(model.embedding_size()) {
  if (model.preset.family != Family::Sam2)
    throw Error(SAM_ERROR_ARGUMENT, "video tracking needs a SAM 2 model; " + model.preset.name + " is SAM 1");
  const std::unique_ptr<Checkpoint> checkpoint = Checkpoint::open(checkpoint_path);
  Weights weights(*checkpoint, model.compute);
  for (const char* prefix : kImagePrefixes) weights.ignore_prefix(prefix);
  const int64_t c = hidden_dim_, m = sizes_.mem_dim;
  memory_attention_ = std::make_unique<MemoryAttention>(weights, "memory_attention.", c, m,
                                                        sizes_.memory_attention_layers, sizes_.memory_attention_ffn,
                                                        grid_side_);
  memory_encoder_ = std::make_unique<MemoryEncoder>(weights, "memory_encoder.", sizes_, c,
                                                    model.image_size() / grid_side_);
  maskmem_tpos_enc_ = weights.get("maskmem_tpos_enc", {sizes_.num_maskmem, 1, 1, m}).view({sizes_.num_maskmem, m});
  no_mem_embed_ = weights.get("no_mem_embed", {1, 1, c}).view({c});
  weights.get("no_mem_pos_enc", {1, 1, c});  // only without directly_add_no_mem_embed, which every config sets
  no_obj_ptr_ = weights.get("no_obj_ptr", {1, c});
  obj_ptr_proj_ = Mlp(weights, "obj_ptr_proj.", c, c, c, 3);
  mask_downsample_ = Conv2d(weights, "mask_downsample.", {1, 1, 4, 4}, 4, 0);
  if (sizes_.version_2_1) {
    no_obj_embed_spatial_ = weights.get("no_obj_embed_spatial", {1, m}).view({m});
    obj_ptr_tpos_proj_.emplace(weights, "obj_ptr_tpos_proj.", c, m);
  }
  try {
    weights.check_complete(model.preset.name + " (video modules)");
  } catch (const Error& error) {
    throw Error(error.status(), checkpoint_path + ": " + error.what());
  }
  image_pe_ = model.prompt_encoder->dense_positional_encoding();
  const at::Device device = model.compute.device;
  vision_pos_ = tokens(sine_position_encoding(c, grid_side_, grid_side_)).to(device);
  maskmem_pos_ = tokens(sine_position_encoding(m, grid_side_, grid_side_)).to(device);
}

at::Tensor Sam2Tracker::gate_object_pointer(at::Tensor obj_ptr, const at::Tensor& present) const {
  // fixed_no_obj_ptr: an absent object's pointer is no_obj_ptr alone.
  obj_ptr = present * obj_ptr;
  return obj_ptr + (1 - present) * no_obj_ptr_;
}

Sam2Tracker::HeadsOutput Sam2Tracker::forward_sam_heads(const at::Tensor& backbone_features,
                                                        const PointInputs* points, const at::Tensor* mask_inputs,
                                                        const std::vector<at::Tensor>& high_res,
                                                        bool multimask) const {
  const PromptEncoder& prompt_encoder = *model_.prompt_encoder;
  const int64_t batch = backbone_features.size(0);
  const at::TensorOptions options = backbone_features.options();
  at::Tensor coords, labels;
  if (points) {
    coords = points->coords;
    labels = points->labels;
  } else {  // a padding point alone
    coords = at::zeros({batch, 1, 2}, options);
    labels = -at::ones({batch, 1}, options.dtype(at::kInt));
  }
  const at::Tensor sparse = prompt_encoder.embed_points(coords, labels, /*pad=*/true);
  at::Tensor dense;
  if (mask_inputs) {
    at::Tensor masks = mask_inputs->to(at::kFloat);
    const int64_t side = prompt_encoder.mask_input_size();
    if (masks.size(-1) != side || masks.size(-2) != side) masks = at::_upsample_bilinear2d_aa(masks, {side, side}, false);
    dense = prompt_encoder.embed_masks(masks);
  } else {
    dense = prompt_encoder.no_mask_embedding().expand({batch, -1, grid_side_, grid_side_});
  }
  const TrackingDecoderOutput decoded =
      model_.mask_decoder->for_tracking(backbone_features, image_pe_, sparse, dense, multimask, high_res);
  at::Tensor low_res = decoded.returned.masks;
  const at::Tensor present = decoded.object_score_logits.gt(0);  // [B, 1]
  if (model_.preset.pred_obj_scores)
    low_res = at::where(present.view({batch, 1, 1, 1}), low_res, at::scalar_tensor(kNoObjectScore, low_res.options()));
  low_res = low_res.to(at::kFloat);

  at::Tensor token = decoded.sam_tokens.select(1, 0);
  if (multimask) {  // the candidate with the highest predicted IoU
    const at::Tensor best = decoded.returned.iou_predictions.argmax(-1);
    const at::Tensor rows = at::arange(batch, best.options());
    low_res = low_res.index({rows, best}).unsqueeze(1);
    if (decoded.sam_tokens.size(1) > 1) token = decoded.sam_tokens.index({rows, best});
  }
  HeadsOutput out;
  out.low_res_masks = low_res;
  const int64_t size = model_.image_size();
  out.high_res_masks = at::upsample_bilinear2d(low_res, {size, size}, false);
  out.obj_ptr = obj_ptr_proj_(token);
  out.object_score_logits = decoded.object_score_logits;
  if (model_.preset.pred_obj_scores) out.obj_ptr = gate_object_pointer(out.obj_ptr, present.to(at::kFloat));
  return out;
}

Sam2Tracker::HeadsOutput Sam2Tracker::use_mask_as_output(const at::Tensor& backbone_features,
                                                         const std::vector<at::Tensor>& high_res,
                                                         const at::Tensor& mask_inputs) const {
  const at::Tensor mask = mask_inputs.to(at::kFloat);
  HeadsOutput out;
  out.high_res_masks = mask * kMaskOutScale + kMaskOutBias;
  out.low_res_masks = at::_upsample_bilinear2d_aa(out.high_res_masks,
                                                  {out.high_res_masks.size(-2) / 4, out.high_res_masks.size(-1) / 4}, false);
  // The pointer comes from the decoder, with the mask brought to the logits' scale by a learned
  // convolution as its mask prompt; whether the object is there comes from the mask itself.
  const at::Tensor downsampled = mask_downsample_(mask);
  const HeadsOutput heads = forward_sam_heads(backbone_features, nullptr, &downsampled, high_res, false);
  const at::Tensor present = mask.flatten(1).gt(0).any(1).unsqueeze(-1).to(at::kFloat);  // [B, 1]
  out.object_score_logits = kMaskOutScale * present + kMaskOutBias;
  out.obj_ptr = gate_object_pointer(heads.obj_ptr, present);
  return out;
}

at::Tensor Sam2Tracker::memory_conditioned_features(int64_t frame, bool is_init_cond_frame,
                                                    const FrameFeatures& features, const ObjectOutputs& memory,
                                                    int64_t num_frames, bool reverse) const {
  const int64_t c = hidden_dim_, m = sizes_.mem_dim;
  // The first frame of an object attends to nothing: no_mem_embed is added instead
  // (directly_add_no_mem_embed).
  if (is_init_cond_frame) return features.vision + no_mem_embed_.view({1, c, 1, 1});
  require(!memory.cond.empty(), "tracking: the object has no conditioning frame");

  std::vector<at::Tensor> memories, positions;
  // Spatial memories: every conditioning frame (max_cond_frames_in_attn is -1 in every config)
  // at temporal position 0, then the num_maskmem - 1 frames before this one (after it, tracking
  // backward), the nearest at the last position.
  std::vector<std::pair<int64_t, const TrackOutput*>> spatial;
  for (const auto& [t, out] : memory.cond) spatial.emplace_back(0, &out);
  for (int64_t t_pos = 1; t_pos < sizes_.num_maskmem; ++t_pos) {
    const int64_t t_rel = sizes_.num_maskmem - t_pos;
    const auto found = memory.non_cond.find(reverse ? frame + t_rel : frame - t_rel);
    if (found != memory.non_cond.end()) spatial.emplace_back(t_pos, &found->second);
  }
  for (const auto& [t_pos, out] : spatial) {
    require(out->maskmem_features.defined(), "tracking: a memory frame has no encoded memory");
    memories.push_back(tokens(out->maskmem_features.to(at::kFloat)));
    positions.push_back(maskmem_pos_ + maskmem_tpos_enc_[sizes_.num_maskmem - t_pos - 1]);
  }

  // Object pointers: of the conditioning frames not ahead of this one
  // (only_obj_ptrs_in_the_past_for_eval), then of up to max_obj_ptrs_in_encoder - 1 frames before.
  const int64_t max_pointers = std::min<int64_t>(num_frames, sizes_.max_obj_ptrs_in_encoder);
  std::vector<int64_t> distances;
  std::vector<at::Tensor> pointers;
  for (const auto& [t, out] : memory.cond) {
    if (reverse ? t < frame : t > frame) continue;
    distances.push_back(sizes_.version_2_1 ? (frame - t) * (reverse ? -1 : 1) : std::abs(frame - t));
    pointers.push_back(out.obj_ptr);
  }
  for (int64_t t_diff = 1; t_diff < max_pointers; ++t_diff) {
    const int64_t t = reverse ? frame + t_diff : frame - t_diff;
    if (t < 0 || t >= num_frames) break;
    const auto found = memory.non_cond.find(t);
    if (found == memory.non_cond.end()) continue;
    distances.push_back(t_diff);
    pointers.push_back(found->second.obj_ptr);
  }
  int64_t pointer_tokens = 0;
  if (!pointers.empty()) {
    const int64_t count = static_cast<int64_t>(pointers.size());
    at::Tensor obj_ptrs = at::stack(pointers, 0);  // [P, 1, C]
    at::Tensor obj_pos;
    if (sizes_.version_2_1) {  // add_tpos_enc_to_obj_ptrs with proj_tpos_enc_in_obj_ptrs
      const at::Tensor relative = at::tensor(distances, at::kLong).to(at::kFloat) / static_cast<double>(max_pointers - 1);
      obj_pos = (*obj_ptr_tpos_proj_)(sine_encoding_1d(relative, c).to(obj_ptrs.device())).unsqueeze(1);
    } else {
      obj_pos = at::zeros({count, 1, m}, obj_ptrs.options());
    }
    if (m < c) {  // a pointer becomes c / m tokens of the memory's width
      obj_ptrs = obj_ptrs.reshape({count, 1, c / m, m}).permute({0, 2, 1, 3}).flatten(0, 1);
      obj_pos = obj_pos.repeat_interleave(c / m, 0);
    }
    memories.push_back(obj_ptrs.transpose(0, 1));
    positions.push_back(obj_pos.transpose(0, 1));
    pointer_tokens = obj_ptrs.size(0);
  }
  const at::Tensor attended = (*memory_attention_)(tokens(features.vision), vision_pos_, at::cat(memories, 1),
                                                   at::cat(positions, 1), pointer_tokens);
  return attended.transpose(1, 2).reshape({1, c, grid_side_, grid_side_});
}

Sam2Tracker::Step Sam2Tracker::track_step(int64_t frame, bool is_init_cond_frame, const FrameFeatures& features,
                                          const PointInputs* points, const at::Tensor* mask_inputs,
                                          const ObjectOutputs& memory, int64_t num_frames, bool reverse,
                                          bool run_memory_encoder, const at::Tensor* prev_mask_logits) const {
  HeadsOutput heads;
  if (mask_inputs) {  // use_mask_input_as_output_without_sam
    heads = use_mask_as_output(features.vision, features.high_res, *mask_inputs);
  } else {
    const at::Tensor conditioned =
        memory_conditioned_features(frame, is_init_cond_frame, features, memory, num_frames, reverse);
    // Three candidates for at most one point (a box is two), on every frame
    // (multimask_output_for_tracking, multimask_min_pt_num 0, multimask_max_pt_num 1).
    const int64_t point_count = points ? points->labels.size(1) : 0;
    heads = forward_sam_heads(conditioned, points, prev_mask_logits, features.high_res, point_count <= 1);
  }
  Step step;
  step.output.pred_masks = heads.low_res_masks;
  step.output.obj_ptr = heads.obj_ptr;
  step.output.object_score_logits = heads.object_score_logits;
  step.high_res_masks = heads.high_res_masks;
  if (run_memory_encoder)
    step.output.maskmem_features =
        encode_memory(features, heads.high_res_masks, heads.object_score_logits, points != nullptr);
  return step;
}

at::Tensor Sam2Tracker::encode_memory(const FrameFeatures& features, const at::Tensor& high_res_masks,
                                      const at::Tensor& object_score_logits, bool is_mask_from_points) const {
  // Masks from clicks are binarised (binarize_mask_from_pts_for_mem_enc), so the memory holds
  // exactly what the user saw; propagated masks go through the sigmoid.
  at::Tensor mask = is_mask_from_points ? high_res_masks.gt(0).to(at::kFloat) : at::sigmoid(high_res_masks);
  mask = mask * kMemorySigmoidScale;
  mask = mask + kMemorySigmoidBias;
  at::Tensor memory = (*memory_encoder_)(features.vision, mask);
  if (no_obj_embed_spatial_.defined()) {
    const at::Tensor absent = 1 - object_score_logits.gt(0).to(at::kFloat);  // [B, 1]
    memory = memory + absent.view({-1, 1, 1, 1}) * no_obj_embed_spatial_.view({1, -1, 1, 1}).expand(memory.sizes());
  }
  return memory.to(at::kBFloat16);
}

}  // namespace sam
