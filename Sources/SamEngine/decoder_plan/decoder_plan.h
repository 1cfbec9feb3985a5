// The mask decoder as the CPU runs it: the same function as MaskDecoder (model/mask_decoder.h),
// computed from the decoder's own weights in a cheaper way. Its tests hold it to the plain port
// in the same process.
//
// - Everything that depends on the image alone is prepared once, in set_image (PlannedImage):
//   the image tokens, the first layer's projections of the image side, the upscalings' offsets
//   (bias plus SAM 2's high-resolution features, in the upscaling's block order) and the first
//   upscaling's product of the image tokens' image-only part.
// - A mask prompt enters as its last layer's few input channels (DenseEmbedding), folded into
//   the first layer's cached projections.
// - The transformer (transformer_plan.h) hands its image tokens on as terms, so the first
//   transposed convolution costs a product with a few channels per click.
// - The transposed convolutions run as one product per input pixel, in bands of grid rows
//   across ATen's threads with single-threaded BLAS; only the candidates returned are computed.
#pragma once
#include <ATen/ATen.h>

#include <limits>
#include <vector>

#include "decoder_plan/transformer_plan.h"
#include "model/mask_decoder.h"
#include "model/prompt_encoder.h"

namespace sam {

// Everything the plan keeps of one image, made once in set_image by DecoderPlan::prepare.
struct PlannedImage {
  int64_t height = 0, width = 0;   // of the image embedding grid
  at::Tensor image_tokens;         // [1, HW, C]: the image embedding, one token per cell
  at::Tensor pe_tokens;            // [1, HW, C]: the dense position encoding
  at::Tensor no_mask_tokens;       // [1, HW, C]: image tokens plus the no-mask embedding
  FirstLayerCache first_layer;     // the transformer's first-layer projections of no_mask_tokens
  at::Tensor no_mask_embedding;    // [C]: what no_mask_tokens added to every image token
  // What each upscaling step adds to its transposed convolution: the bias, plus the high-res
  // skip features (SAM 2) in the upscaling's block order (see DecoderPlan::upscale_rows).
  at::Tensor upscale1_offset;      // [HW, 2 * 2 * C/4] ([2 * 2 * C/4] without skip features)
  at::Tensor upscale2_offset;      // [4 HW, 2 * 2 * C/8] ([2 * 2 * C/8] without skip features)
  // The first transposed convolution's product of the transformer's terms base
  // (TransformerPlan::terms_base), [HW, 2 * 2 * C/4].
  at::Tensor upscale1_base;
};

// A mask prompt's embedding, kept before mask_downscaling's last layer, a 1x1 convolution from
// a few channels: hidden weight^T + bias is the embedding.
struct DenseEmbedding {
  at::Tensor hidden;  // [B, HW, c] (c = C / 16): the last layer's input, one row per grid cell
  at::Tensor weight;  // [C, c]
  at::Tensor bias;    // [C]
  bool defined() const { return hidden.defined(); }
  // The embedding as image tokens: [B, HW, C].
  at::Tensor tokens() const;
};

class DecoderPlan {
 public:
  DecoderPlan(const MaskDecoder& decoder, const PromptEncoder& prompt_encoder, AttentionOrder order);

  // image_embed [1, C, h, w]; high_res as for MaskDecoder.
  PlannedImage prepare(const at::Tensor& image_embed, const std::vector<at::Tensor>& high_res) const;

  // MaskDecoder's result for the prompt tokens [B, N, C] and the mask inputs [B, 1, 4h, 4w]
  // (undefined: none). score_floor: prompt sets none of whose returned candidates scores
  // above it get no masks computed (their logits are left 0), for callers that drop such
  // candidates anyway (the automatic mask generator's IoU filter); ignored when the single
  // mask is chosen by stability, which needs every mask.
  DecoderOutput operator()(const PlannedImage& image, const at::Tensor& sparse, const at::Tensor& mask_input,
                           bool multimask, float score_floor = -std::numeric_limits<float>::infinity()) const;

 private:
  using MaskTokens = MaskDecoder::MaskTokens;
  // The masks and scores of the mask tokens `which`; masks only for the prompt sets whose
  // scores pass `score_floor`.
  DecoderOutput predict_masks(const PlannedImage& image, const at::Tensor& tokens, const DenseEmbedding& dense,
                              const MaskTokens& which, float score_floor) const;
  DenseEmbedding embed_masks(const at::Tensor& masks) const;
  // Grid rows [first_row, first_row + rows) of the transformer's image tokens, through the
  // first transposed convolution and its offset already ([rows w, 2 * 2 * C/4], overwritten),
  // upscaled the rest of the way: [16 rows w, C/8] in block order.
  at::Tensor upscale_rows(at::Tensor upscaled_once, const PlannedImage& image, int64_t first_row, int64_t rows) const;
  // The low-resolution masks: image tokens [B, HW, C] (or their terms), hypernetwork weights
  // [B, M, C/8] -> [B, M, 4h, 4w].
  at::Tensor upscaled_masks(const ImageTokens& image_tokens, const at::Tensor& hyper_in,
                            const PlannedImage& image) const;
  // The outputs of mask tokens `which` [B, which.count, C] -> their weights of the upscaled
  // channels [B, which.count, C/8].
  at::Tensor hypernetworks(const at::Tensor& mask_tokens, const MaskTokens& which) const;

  const MaskDecoder& decoder_;
  const PromptEncoder& prompt_encoder_;
  TransformerPlan transformer_;
  at::Tensor output_tokens_;  // MaskDecoder::output_tokens()
  // Each 2x2 stride-2 transposed convolution as one product per input pixel: [C_in, 2 * 2 * C_out],
  // columns (di, dj, out); the biases repeated to match.
  at::Tensor upscale1_matrix_, upscale1_bias_, upscale2_matrix_, upscale2_bias_;
  // The mask tokens' hypernetwork MLPs (3 layers each), stacked to run as one batched product
  // per layer: weights [M, out, in], biases [M, 1, out].
  std::vector<at::Tensor> hypernetwork_weights_, hypernetwork_biases_;
};

}  // namespace sam
