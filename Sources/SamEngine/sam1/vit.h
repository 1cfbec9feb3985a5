// SAM 1's image encoder (ImageEncoderViT in segment_anything/modeling/image_encoder.py, after
// ViTDet): a 16x16 patch embedding plus an absolute position embedding, transformer blocks with
// windowed or global attention and decomposed relative positions, and a convolutional neck
// (1x1 conv, LayerNorm2d, 3x3 conv, LayerNorm2d) down to d_model channels.
//
// Activations stay channels-last ([B, H, W, C], contiguous) until the neck's 3x3 convolution.
#pragma once
#include <ATen/ATen.h>

#include <string>
#include <vector>

#include "model/nn_layers.h"
#include "model/presets.h"
#include "model/weights.h"

namespace sam {

// get_rel_pos: the relative-position rows for every (query, key) coordinate pair along one axis,
// [q_size, k_size, head_dim]. `rel_pos` [L, head_dim] is resized linearly to 2 max(q, k) - 1
// rows first when its length differs; the shorter axis' coordinates are stretched.
at::Tensor relative_position_rows(int64_t q_size, int64_t k_size, const at::Tensor& rel_pos);

class VitBlock {
 public:
  // window_size 0: global attention over the whole grid (grid x grid tokens).
  VitBlock(Weights& weights, const std::string& prefix, int dim, int num_heads, int window_size, int grid);

  // x: [1, H, W, dim] -> [1, H, W, dim].
  at::Tensor forward(const at::Tensor& x) const;

 private:
  // Multi-head attention with relative positions, before the output projection.
  // qkv: [H * W, 3 dim] (the projected tokens, row-major) -> out: [H * W, dim].
  void windowed_attention(const at::Tensor& qkv, int64_t height, int64_t width, at::Tensor& out) const;
  void global_attention(const at::Tensor& qkv, at::Tensor& out) const;
  // The block as batched tensor operations, the way the reference computes it (the generic
  // path, as on a GPU, where one large product beats many small tasks).
  at::Tensor forward_batched(const at::Tensor& x) const;

  int dim_, num_heads_, head_dim_, window_size_, attention_size_;  // attention_size_: side of one attention square
  bool cpu_kernels_;  // the CPU's own path (see Compute); else forward_batched
  float scale_;
  at::Tensor norm1_weight_, norm1_bias_;
  Linear qkv_, proj_;
  at::Tensor norm2_weight_, norm2_bias_;
  Linear mlp_in_, mlp_out_;
  // From relative_position_rows, transposed for the products with the queries: [S, head_dim, S].
  at::Tensor rel_rows_h_t_, rel_rows_w_t_;
};

class ImageEncoderVit {
 public:
  // `prefix`: "image_encoder.". out_channels: the neck's width (d_model).
  ImageEncoderVit(Weights& weights, const std::string& prefix, const VitSizes& sizes, int image_size,
                  int out_channels);

  // image: [1, 3, S, S] (normalised, padded) -> [1, out_channels, S/16, S/16].
  at::Tensor forward(const at::Tensor& image) const;

 private:
  int grid_;
  bool cpu_kernels_;
  at::Tensor patch_weight_, patch_bias_;
  at::Tensor pos_embed_;  // [1, grid, grid, C]
  std::vector<VitBlock> blocks_;
  at::Tensor neck_conv1_weight_;  // [out, C] (a 1x1 convolution as a matrix)
  at::Tensor neck_norm1_weight_, neck_norm1_bias_;
  at::Tensor neck_conv2_weight_;  // [out, out, 3, 3]
  at::Tensor neck_norm2_weight_, neck_norm2_bias_;
};

}  // namespace sam
