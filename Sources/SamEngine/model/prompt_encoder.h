// The prompt encoder (sam2/modeling/sam/prompt_encoder.py; SAM 1's is the same module):
// points and box corners become sparse tokens (random-Fourier position + a learned embedding
// per label), a low-resolution mask becomes a dense embedding through `mask_downscaling`, and
// "no mask" is one learned vector broadcast over the grid.
#pragma once
#include <ATen/ATen.h>

#include <string>

#include "model/position_encoding.h"
#include "model/weights.h"

namespace sam {

struct PromptEncoderSizes {
  int64_t embed_dim;             // channels of every embedding (d_model)
  int64_t image_embedding_size;  // side of the image embedding grid (image_size / 16)
  int64_t image_size;            // side of the model's input frame
  int64_t mask_in_chans = 16;    // hidden channels of mask_downscaling (16 in every official model)
  // SAM 2 adds the box-corner embeddings to points labelled 2 and 3; SAM 1's point path adds
  // embeddings for labels 0 and 1 only (its boxes take the box path).
  bool embeds_corner_labels = true;
};

// mask_downscaling: conv 2x2/2 -> LayerNorm2d -> GELU -> conv 2x2/2 -> LayerNorm2d -> GELU -> conv 1x1.
struct MaskDownscaling {
  at::Tensor conv1_weight, conv1_bias, norm1_weight, norm1_bias;
  at::Tensor conv2_weight, conv2_bias, norm2_weight, norm2_bias;
  at::Tensor conv3_weight, conv3_bias;  // [C, c, 1, 1], [C]

  // masks [B, 1, 4h, 4w] -> [B, C, h, w].
  at::Tensor operator()(const at::Tensor& masks) const;
  // Everything before the last layer, the 1x1 convolution: [B, c, h, w] (c = C / 16).
  at::Tensor hidden(const at::Tensor& masks) const;
};

class PromptEncoder {
 public:
  // `prefix`: "sam_prompt_encoder." (SAM 2) or "prompt_encoder." (SAM 1).
  PromptEncoder(Weights& weights, const std::string& prefix, const PromptEncoderSizes& sizes);

  // coords [B, N, 2] in input-frame pixels, labels [B, N] (int): -1 padding, 0 background,
  // 1 foreground, 2 / 3 box corners. `pad` appends a padding point (as SAM does when no box
  // goes through the box path). -> [B, N (+1), C].
  at::Tensor embed_points(const at::Tensor& coords, const at::Tensor& labels, bool pad) const;
  // boxes [B, 4] (x0, y0, x1, y1) in input-frame pixels -> [B, 2, C].
  at::Tensor embed_boxes(const at::Tensor& boxes) const;
  // masks [B, 1, 4 h, 4 w] of logits -> their embedding [B, C, h, w].
  at::Tensor embed_masks(const at::Tensor& masks) const { return mask_downscaling(masks); }
  // The dense embedding used when there is no mask: [1, C, 1, 1], to be broadcast.
  at::Tensor no_mask_embedding() const { return no_mask_embed_.view({1, -1, 1, 1}); }
  // Position encoding of the image embedding grid: [1, C, h, w].
  at::Tensor dense_positional_encoding() const;

  const PromptEncoderSizes& sizes() const { return sizes_; }
  int64_t mask_input_size() const { return 4 * sizes_.image_embedding_size; }

  MaskDownscaling mask_downscaling;

 private:
  PromptEncoderSizes sizes_;
  PositionEmbeddingRandom pe_layer_;
  at::Tensor point_embeddings_;  // [4, C]: background, foreground, box top-left, box bottom-right
  at::Tensor not_a_point_embed_;  // [1, C]
  at::Tensor no_mask_embed_;      // [1, C]
};

}  // namespace sam
