#include "model/mask_decoder.h"

namespace sam {
namespace {

// ConvTranspose2d with kernel 2 and stride 2.
at::Tensor conv_transpose_2x2(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias) {
  return at::conv_transpose2d(x, weight, bias, /*stride=*/{2, 2});
}

}  // namespace

at::Tensor OutputUpscaling::operator()(const at::Tensor& src, const std::vector<at::Tensor>& high_res) const {
  at::Tensor x = conv_transpose_2x2(src, conv1_weight, conv1_bias);
  if (!high_res.empty()) x = x + high_res[1];
  x = at::gelu(layer_norm_channels(x, norm_weight, norm_bias, kNormEps));
  x = conv_transpose_2x2(x, conv2_weight, conv2_bias);
  if (!high_res.empty()) x = x + high_res[0];
  return at::gelu(x);
}

MaskDecoder::MaskDecoder(Weights& weights, const std::string& prefix, const MaskDecoderConfig& config_)
    : config(config_),
      num_mask_tokens(config_.num_multimask_outputs + 1),
      transformer(weights, prefix + "transformer.",
                  [&] {
                    TwoWayTransformerSizes sizes = config_.transformer;
                    sizes.embedding_dim = config_.transformer_dim;
                    return sizes;
                  }()) {
  const int64_t c = config.transformer_dim;
  if (config.pred_obj_scores) obj_score_token = weights.get(prefix + "obj_score_token.weight", {1, c});
  iou_token = weights.get(prefix + "iou_token.weight", {1, c});
  mask_tokens = weights.get(prefix + "mask_tokens.weight", {num_mask_tokens, c});

  const std::string up = prefix + "output_upscaling.";
  output_upscaling.conv1_weight = weights.get(up + "0.weight", {c, c / 4, 2, 2});
  output_upscaling.conv1_bias = weights.get(up + "0.bias", {c / 4});
  output_upscaling.norm_weight = weights.get(up + "1.weight", {c / 4});
  output_upscaling.norm_bias = weights.get(up + "1.bias", {c / 4});
  output_upscaling.conv2_weight = weights.get(up + "3.weight", {c / 4, c / 8, 2, 2});
  output_upscaling.conv2_bias = weights.get(up + "3.bias", {c / 8});

  for (int64_t i = 0; i < num_mask_tokens; ++i) {
    output_hypernetworks_mlps.emplace_back(weights, prefix + "output_hypernetworks_mlps." + std::to_string(i) + ".", c,
                                           c, c / 8, 3);
  }
  iou_prediction_head = Mlp(weights, prefix + "iou_prediction_head.", c, config.iou_head_hidden_dim, num_mask_tokens,
                            static_cast<int>(config.iou_head_depth), config.iou_prediction_use_sigmoid);
  if (config.pred_obj_scores) {
    // Only video tracking reads the object score (the image predictor, like the reference's, never does).
    if (config.pred_obj_scores_mlp) {
      pred_obj_score_head = Mlp(weights, prefix + "pred_obj_score_head.", c, c, 1, 3);
    } else {
      pred_obj_score_head.layers.emplace_back(weights, prefix + "pred_obj_score_head.", c, 1);
    }
  }
}

at::Tensor MaskDecoder::output_tokens() const {
  return config.pred_obj_scores ? at::cat({obj_score_token, iou_token, mask_tokens}, 0)
                                : at::cat({iou_token, mask_tokens}, 0);
}

MaskDecoder::MaskTokens MaskDecoder::returned_tokens(bool multimask) const {
  if (multimask) return {1, num_mask_tokens - 1};
  if (chooses_by_stability(multimask)) return {0, num_mask_tokens};
  return {0, 1};
}

DecoderOutput MaskDecoder::predict_masks(const at::Tensor& image_embeddings, const at::Tensor& image_pe,
                                         const at::Tensor& sparse, const at::Tensor& dense,
                                         const std::vector<at::Tensor>& high_res) const {
  return predict_all(image_embeddings, image_pe, sparse, dense, high_res).masks;
}

MaskDecoder::AllOutputs MaskDecoder::predict_all(const at::Tensor& image_embeddings, const at::Tensor& image_pe,
                                                 const at::Tensor& sparse, const at::Tensor& dense,
                                                 const std::vector<at::Tensor>& high_res) const {
  const int64_t batch = sparse.size(0);
  const at::Tensor tokens = at::cat({output_tokens().unsqueeze(0).expand({batch, -1, -1}), sparse}, 1);
  const at::Tensor src = (image_embeddings + dense).expand({batch, -1, -1, -1});
  const at::Tensor pos_src = image_pe.expand({batch, -1, -1, -1});
  const int64_t c = src.size(1), h = src.size(2), w = src.size(3);

  const auto [hs, image] = transformer(src, pos_src, tokens);
  const int64_t s = iou_token_index();
  const at::Tensor iou_token_out = hs.select(1, s);
  const at::Tensor mask_tokens_out = hs.narrow(1, s + 1, num_mask_tokens);

  const at::Tensor upscaled = output_upscaling(image.transpose(1, 2).reshape({batch, c, h, w}), high_res);
  std::vector<at::Tensor> hyper_in;
  for (int64_t i = 0; i < num_mask_tokens; ++i) {
    hyper_in.push_back(output_hypernetworks_mlps[i](mask_tokens_out.select(1, i)));
  }
  const int64_t up_c = upscaled.size(1), up_h = upscaled.size(2), up_w = upscaled.size(3);
  const at::Tensor masks =
      at::matmul(at::stack(hyper_in, 1), upscaled.view({batch, up_c, up_h * up_w})).view({batch, -1, up_h, up_w});
  AllOutputs out;
  out.masks = {masks, iou_prediction_head(iou_token_out)};
  out.mask_tokens_out = mask_tokens_out;
  if (config.pred_obj_scores) out.obj_token_out = hs.select(1, 0);
  return out;
}

DecoderOutput MaskDecoder::most_stable(const DecoderOutput& all) const {
  const at::Tensor& masks = all.masks;
  const at::Tensor& iou = all.iou_predictions;
  const int64_t batch = masks.size(0);
  const at::Tensor multimask_iou = iou.slice(1, 1);
  const at::Tensor best = multimask_iou.argmax(-1);
  const at::Tensor batch_index = at::arange(batch, best.options());
  const at::Tensor best_masks = masks.slice(1, 1).index({batch_index, best}).unsqueeze(1);
  const at::Tensor best_iou = multimask_iou.index({batch_index, best}).unsqueeze(1);

  const at::Tensor single = masks.slice(1, 0, 1);
  const at::Tensor flat = single.flatten(-2);
  const float delta = config.dynamic_multimask_stability_delta;
  const at::Tensor area_inner = flat.gt(delta).sum(-1).to(at::kFloat);
  const at::Tensor area_outer = flat.gt(-delta).sum(-1).to(at::kFloat);
  const at::Tensor stability = at::where(area_outer.gt(0), area_inner / area_outer, at::ones_like(area_outer));
  const at::Tensor stable = stability.ge(config.dynamic_multimask_stability_thresh);  // [B, 1]
  return {at::where(stable.unsqueeze(-1).unsqueeze(-1), single, best_masks),
          at::where(stable, iou.slice(1, 0, 1), best_iou)};
}

DecoderOutput MaskDecoder::operator()(const at::Tensor& image_embeddings, const at::Tensor& image_pe,
                                      const at::Tensor& sparse, const at::Tensor& dense, bool multimask,
                                      const std::vector<at::Tensor>& high_res) const {
  return select(predict_masks(image_embeddings, image_pe, sparse, dense, high_res), multimask);
}

DecoderOutput MaskDecoder::select(const DecoderOutput& all, bool multimask) const {
  if (chooses_by_stability(multimask)) return most_stable(all);
  const MaskTokens which = returned_tokens(multimask);
  return {all.masks.narrow(1, which.first, which.count), all.iou_predictions.narrow(1, which.first, which.count)};
}

TrackingDecoderOutput MaskDecoder::for_tracking(const at::Tensor& image_embeddings, const at::Tensor& image_pe,
                                                const at::Tensor& sparse, const at::Tensor& dense, bool multimask,
                                                const std::vector<at::Tensor>& high_res) const {
  const AllOutputs all = predict_all(image_embeddings, image_pe, sparse, dense, high_res);
  TrackingDecoderOutput out;
  out.returned = select(all.masks, multimask);
  out.sam_tokens = multimask ? all.mask_tokens_out.slice(1, 1) : all.mask_tokens_out.slice(1, 0, 1);
  const int64_t batch = all.mask_tokens_out.size(0);
  out.object_score_logits = config.pred_obj_scores
                                ? pred_obj_score_head(all.obj_token_out)
                                : at::full({batch, 1}, 10.0, all.mask_tokens_out.options());
  return out;
}

}  // namespace sam
