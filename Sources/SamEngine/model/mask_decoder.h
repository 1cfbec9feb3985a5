// The mask decoder (sam2/modeling/sam/mask_decoder.py; SAM 1's is the same without the object
// score token, the high-res skip and the sigmoid): output tokens and prompt tokens run through
// the two-way transformer; each mask token's hypernetwork MLP weighs the upscaled image
// embedding into one low-resolution mask, and the IoU token's head scores them.
#pragma once
#include <ATen/ATen.h>

#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "model/nn_layers.h"
#include "model/prompt_encoder.h"
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
  AttentionOrder attention_order = AttentionOrder::Automatic;
};

// Everything the decoder keeps of one image, made once in set_image by prepare_image.
struct DecoderImage {
  int64_t height = 0, width = 0;   // of the image embedding grid
  at::Tensor image_tokens;         // [1, HW, C]: the image embedding, one token per cell
  at::Tensor pe_tokens;            // [1, HW, C]: the dense position encoding
  at::Tensor no_mask_tokens;       // [1, HW, C]: image tokens plus the no-mask embedding
  FirstLayerCache first_layer;     // the transformer's first-layer projections of no_mask_tokens
  at::Tensor no_mask_embedding;    // [C]: what no_mask_tokens added to every image token
  // What each upscaling step adds to its transposed convolution: the bias, plus the high-res
  // skip features (SAM 2) in the upscaling's block order (see MaskDecoder::upscale_rows).
  at::Tensor upscale1_offset;      // [HW, 2 * 2 * C/4] ([2 * 2 * C/4] without skip features)
  at::Tensor upscale2_offset;      // [4 HW, 2 * 2 * C/8] ([2 * 2 * C/8] without skip features)
  // The first transposed convolution's product of the transformer's terms base
  // (TwoWayTransformer::terms_base), [HW, 2 * 2 * C/4]; undefined without a first-layer cache.
  at::Tensor upscale1_base;
};

struct DecoderOutput {
  at::Tensor masks;            // [B, M, 4h, 4w] low-resolution logits
  at::Tensor iou_predictions;  // [B, M]
};

class MaskDecoder {
 public:
  // `prefix`: "sam_mask_decoder." (SAM 2) or "mask_decoder." (SAM 1).
  MaskDecoder(Weights& weights, const std::string& prefix, const MaskDecoderConfig& config);

  // What the decoder keeps of one image. image_embed, image_pe: [1, C, h, w]; high_res:
  // {s0 [1, C/8, 4h, 4w], s1 [1, C/4, 2h, 2w]} or empty; no_mask_dense: [1, C, 1, 1].
  DecoderImage prepare_image(const at::Tensor& image_embed, const std::vector<at::Tensor>& high_res,
                             const at::Tensor& image_pe, const at::Tensor& no_mask_dense) const;

  // tokens [B, N, C] (sparse prompt embeddings), dense: the mask embeddings, or undefined (no
  // mask input). multimask: the three multimask candidates; otherwise one
  // (the single-mask token's, or the most stable choice when the config says so).
  //
  // mask_score_floor: prompt sets none of whose returned candidates scores above it get no
  // masks computed (their logits are left 0), for callers that drop such candidates anyway
  // (the automatic mask generator's IoU filter). Ignored when the single mask is chosen by
  // stability, which needs every mask.
  DecoderOutput operator()(const DecoderImage& image, const at::Tensor& tokens, const DenseEmbedding& dense,
                           bool multimask, float mask_score_floor = -std::numeric_limits<float>::infinity()) const;

  const MaskDecoderConfig& config() const { return config_; }

 private:
  // Mask tokens [first, first + count) of the num_mask_tokens.
  struct MaskTokens {
    int64_t first, count;
  };
  // The masks and scores of the mask tokens `which`.
  // `wanted(iou [B, which.count])`: which prompt sets need masks ([B] bool), or undefined for all.
  DecoderOutput predict_masks(const DecoderImage& image, const at::Tensor& tokens, const DenseEmbedding& dense,
                              const MaskTokens& which,
                              const std::function<at::Tensor(const at::Tensor&)>& wanted = nullptr) const;
  // Grid rows [first_row, first_row + rows) of the transformer's image tokens, through the
  // first transposed convolution and its offset already ([rows w, 2 * 2 * C/4], overwritten),
  // upscaled the rest of the way: [16 rows w, C/8] in block order.
  at::Tensor upscale_rows(at::Tensor upscaled_once, const DecoderImage& image, int64_t first_row, int64_t rows) const;
  // The low-resolution masks: image tokens [B, HW, C] (or their terms), hypernetwork weights
  // [B, M, C/8] -> [B, M, 4h, 4w].
  at::Tensor upscaled_masks(const ImageTokens& image_tokens, const at::Tensor& hyper_in,
                            const DecoderImage& image) const;
  // The outputs of mask tokens `which` [B, which.count, C] -> their weights of the upscaled
  // channels [B, which.count, C/8].
  at::Tensor hypernetworks(const at::Tensor& mask_tokens, const MaskTokens& which) const;
  std::pair<at::Tensor, at::Tensor> most_stable(const at::Tensor& masks, const at::Tensor& iou) const;

  MaskDecoderConfig config_;
  int64_t num_mask_tokens_;
  TwoWayTransformer transformer_;
  at::Tensor output_tokens_;  // [(1) + 1 + num_mask_tokens, C]: (object score,) IoU, masks
  // output_upscaling: conv-transpose 2x2/2 -> LayerNorm2d -> GELU -> conv-transpose 2x2/2 -> GELU,
  // each conv-transpose as one product per input pixel: [C_in, 2 * 2 * C_out], columns (di, dj, out).
  at::Tensor upscale1_matrix_, upscale1_bias_, upscale_norm_weight_, upscale_norm_bias_;
  at::Tensor upscale2_matrix_, upscale2_bias_;
  // The mask tokens' hypernetwork MLPs (3 layers each), stacked to run as one batched product
  // per layer: weights [M, out, in], biases [M, 1, out].
  std::vector<at::Tensor> hypernetwork_weights_, hypernetwork_biases_;
  Mlp iou_head_;
};

}  // namespace sam
