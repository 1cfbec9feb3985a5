// Hiera, SAM 2's hierarchical image trunk (sam2/modeling/backbones/hieradet.py): a patch
// embedding followed by four stages of multi-scale blocks; each stage after the first halves
// the resolution (max-pooled queries) and doubles channels and heads.
//
// Activations stay channels-last ([B, H, W, C], contiguous) throughout, like the reference.
#pragma once
#include <ATen/ATen.h>

#include <memory>
#include <string>
#include <vector>

#include "model/nn_layers.h"
#include "model/presets.h"
#include "model/weights.h"

namespace sam {

class HieraBlock {
 public:
  HieraBlock(Weights& weights, const std::string& prefix, int dim, int dim_out, int num_heads, int window_size,
             bool pools_queries);
  // x: [B, H, W, dim] -> [B, H', W', dim_out] (H' = H/2, rounded down, when the block pools queries).
  at::Tensor forward(const at::Tensor& x) const;

 private:
  // Multi-scale attention before its output projection: [N, h, w, dim] -> [N, h', w', dim_out].
  at::Tensor attention(const at::Tensor& tokens) const;
  // x += MLP(norm2(x)), in place.
  void mlp_residual_(at::Tensor& x) const;

  int dim_, dim_out_, num_heads_, window_size_;
  bool pools_queries_;
  at::Tensor norm1_weight_, norm1_bias_, norm2_weight_, norm2_bias_;
  bool cpu_kernels_;
  Linear qkv_;  // queries pre-scaled by 1/sqrt(head_dim)
  Linear attn_proj_, mlp_in_, mlp_out_;
  Linear skip_;  // only when dim != dim_out
};

class Hiera {
 public:
  // `prefix` is the trunk's key prefix, e.g. "image_encoder.trunk.".
  Hiera(Weights& weights, const std::string& prefix, const HieraSizes& sizes);

  // image: [B, 3, S, S] -> the output of every stage, highest resolution first,
  // channels-last: [B, S/4, S/4, C], [B, S/8, S/8, 2C], [B, S/16, S/16, 4C], [B, S/32, S/32, 8C].
  std::vector<at::Tensor> forward(const at::Tensor& image);

  // Channels of each stage's output, highest resolution first.
  const std::vector<int>& stage_channels() const { return stage_channels_; }

 private:
  const at::Tensor& position_embedding(int64_t height, int64_t width);

  HieraSizes sizes_;
  at::Tensor patch_weight_, patch_bias_;
  at::Tensor pos_embed_, pos_embed_window_;
  std::vector<HieraBlock> blocks_;
  std::vector<int> stage_ends_;  // index of each stage's last block
  std::vector<int> stage_channels_;
  at::Tensor cached_pos_;  // [1, C, H, W] for the last patch grid seen
};

}  // namespace sam
