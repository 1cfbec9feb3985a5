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

#include "model/presets.h"
#include "model/weights.h"

namespace sam {

class PackedLinear;

// A fully connected layer over the last dimension whose rows are split across ATen's threads
// (each thread running single-threaded GEMMs): the packed AVX2 kernel where it runs (CPU,
// float32, an AVX2 machine, weights of at most 16 MiB), else ATen's GEMM.
class ParallelLinear {
 public:
  ParallelLinear() = default;
  ParallelLinear(at::Tensor weight, at::Tensor bias);

  // Rows [begin, end) of y (2-D, contiguous) = x W^T + b (+ residual), x and residual 2-D
  // with unit column stride; y may be residual.
  void apply_rows(const at::Tensor& x, at::Tensor& y, int64_t begin, int64_t end,
                  const at::Tensor* residual = nullptr) const;
  // Whole tensor, rows split across ATen's threads: x [..., in] -> [..., out] (+ residual).
  at::Tensor operator()(const at::Tensor& x, const at::Tensor* residual = nullptr) const;

  int64_t out_features() const { return weight_.size(0); }

 private:
  at::Tensor weight_, bias_;
  std::shared_ptr<const PackedLinear> packed_;
};

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
  ParallelLinear qkv_;  // queries pre-scaled by 1/sqrt(head_dim)
  ParallelLinear attn_proj_, mlp_in_, mlp_out_;
  ParallelLinear skip_;  // only when dim != dim_out
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
