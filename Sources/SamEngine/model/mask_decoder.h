// The mask decoder (sam2/modeling/sam/mask_decoder.py; SAM 1's is the same without the object
// score token, the high-res skip and the sigmoid): output tokens and prompt tokens run through
// the two-way transformer; each mask token's hypernetwork MLP weighs the upscaled image
// embedding into one low-resolution mask, and the IoU token's head scores them.
//
// A plain port in ATen operations that run on any device. On the CPU the decoder plan
// (decoder_plan/) computes the same function from what it prepared per image.
#pragma once
#include <ATen/ATen.h>

#include <string>
#include <vector>

#include "model/nn_layers.h"
#include "model/two_way_transformer.h"
#include "model/weights.h"

namespace sam {

struct MaskDecoderConfig {
  int64_t transformer_dim;
  int64_t num_multimask_outputs = 3;
  int64_t iou_head_depth = 3;
  int64_t iou_head_hidden_dim = 256;
  TwoWayTransformerSizes transformer;
  bool use_high_res_features = false;
  bool iou_prediction_use_sigmoid = false;
  bool pred_obj_scores = false;
  bool pred_obj_scores_mlp = false;
  bool dynamic_multimask_via_stability = false;
  float dynamic_multimask_stability_delta = 0.05f;
  float dynamic_multimask_stability_thresh = 0.98f;
};

struct DecoderOutput {
  at::Tensor masks;            // [B, M, 4h, 4w] low-resolution logits
  at::Tensor iou_predictions;  // [B, M]
};

// What video tracking also takes from the decoder (SAM2Base._forward_sam_heads).
struct TrackingDecoderOutput {
  DecoderOutput returned;            // as operator() returns them
  at::Tensor sam_tokens;             // [B, M', C]: the mask tokens' outputs an object pointer is made from
  at::Tensor object_score_logits;    // [B, 1]: is the object in the frame (10 without a score head)
};

// output_upscaling: ConvTranspose2d 2x2/2 -> LayerNorm2d -> GELU -> ConvTranspose2d 2x2/2 -> GELU,
// with SAM 2's high-resolution features added after each transposed convolution.
struct OutputUpscaling {
  at::Tensor conv1_weight, conv1_bias;  // [C, C/4, 2, 2], [C/4]
  at::Tensor norm_weight, norm_bias;    // [C/4]
  at::Tensor conv2_weight, conv2_bias;  // [C/4, C/8, 2, 2], [C/8]
  static constexpr double kNormEps = 1e-6;

  // src [B, C, h, w], high_res {s0 [1, C/8, 4h, 4w], s1 [1, C/4, 2h, 2w]} or empty -> [B, C/8, 4h, 4w].
  at::Tensor operator()(const at::Tensor& src, const std::vector<at::Tensor>& high_res) const;
};

class MaskDecoder {
 public:
  // `prefix`: "sam_mask_decoder." (SAM 2) or "mask_decoder." (SAM 1).
  MaskDecoder(Weights& weights, const std::string& prefix, const MaskDecoderConfig& config);

  // image_embeddings [1, C, h, w] (one image for every prompt set), image_pe [1, C, h, w],
  // sparse [B, N, C] (the prompt tokens), dense [B or 1, C, h, w] (the mask embeddings, or the
  // no-mask embedding broadcast), high_res as for OutputUpscaling. multimask: the three
  // multimask candidates; otherwise one (the single-mask token's, or the most stable choice
  // when the config says so).
  DecoderOutput operator()(const at::Tensor& image_embeddings, const at::Tensor& image_pe, const at::Tensor& sparse,
                           const at::Tensor& dense, bool multimask, const std::vector<at::Tensor>& high_res) const;

  // operator()'s outputs with the tokens and object score video tracking needs: with multimask
  // the three multimask tokens' outputs (use_multimask_token_for_obj_ptr), else the single-mask
  // token's, always.
  TrackingDecoderOutput for_tracking(const at::Tensor& image_embeddings, const at::Tensor& image_pe,
                                     const at::Tensor& sparse, const at::Tensor& dense, bool multimask,
                                     const std::vector<at::Tensor>& high_res) const;

  // Every mask token's mask and score: [B, num_mask_tokens, 4h, 4w], [B, num_mask_tokens].
  DecoderOutput predict_masks(const at::Tensor& image_embeddings, const at::Tensor& image_pe,
                              const at::Tensor& sparse, const at::Tensor& dense,
                              const std::vector<at::Tensor>& high_res) const;

  // _dynamic_multimask_via_stability: of every mask token's output, the single-mask token's
  // where its area barely changes between logit thresholds -delta and +delta, else the
  // best-scoring multimask candidate. -> [B, 1, 4h, 4w], [B, 1].
  DecoderOutput most_stable(const DecoderOutput& all) const;

  // The mask tokens [first, first + count) a call returns before any stability choice:
  // 1..3 for multimask, all of them for the stability choice, else token 0.
  struct MaskTokens {
    int64_t first, count;
  };
  MaskTokens returned_tokens(bool multimask) const;
  bool chooses_by_stability(bool multimask) const { return !multimask && config.dynamic_multimask_via_stability; }

  // The output tokens in the order the transformer takes them: (object score,) IoU, masks.
  at::Tensor output_tokens() const;
  // Index of the IoU token among the output tokens.
  int64_t iou_token_index() const { return config.pred_obj_scores ? 1 : 0; }

  MaskDecoderConfig config;
  int64_t num_mask_tokens;
  TwoWayTransformer transformer;
  at::Tensor obj_score_token, iou_token, mask_tokens;  // [1, C], [1, C], [num_mask_tokens, C]
  OutputUpscaling output_upscaling;
  std::vector<Mlp> output_hypernetworks_mlps;  // one per mask token: C -> C -> C -> C/8
  Mlp iou_prediction_head;
  Mlp pred_obj_score_head;  // with pred_obj_scores: an MLP of 3 layers, or of 1 (a Linear)

 private:
  struct AllOutputs {
    DecoderOutput masks;
    at::Tensor mask_tokens_out;  // [B, num_mask_tokens, C]
    at::Tensor obj_token_out;    // [B, C], or undefined without pred_obj_scores
  };
  AllOutputs predict_all(const at::Tensor& image_embeddings, const at::Tensor& image_pe, const at::Tensor& sparse,
                         const at::Tensor& dense, const std::vector<at::Tensor>& high_res) const;
  DecoderOutput select(const DecoderOutput& all, bool multimask) const;
};

}  // namespace sam
