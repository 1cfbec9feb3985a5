// The memory encoder (sam2/modeling/memory_encoder.py): a frame's predicted mask, downsampled
// to the image embedding's grid (MaskDownSampler), is added to the frame's projected features,
// fused by ConvNeXt blocks (Fuser of CXBlocks) and projected to the memory's channels. (Its
// position encoding, the sine encoding of the grid, is the same for every frame: the tracker
// computes it once.)
#pragma once
#include <ATen/ATen.h>

#include <string>
#include <vector>

#include "model/nn_layers.h"
#include "model/presets.h"
#include "model/weights.h"

namespace sam {

struct Conv2d {
  at::Tensor weight, bias;
  int64_t stride = 1, padding = 0, groups = 1;

  Conv2d() = default;
  Conv2d(Weights& weights, const std::string& prefix, std::vector<int64_t> shape, int64_t stride = 1,
         int64_t padding = 0, int64_t groups = 1);
  at::Tensor operator()(const at::Tensor& x) const;
};

// Progressively downsample a mask by the backbone's stride, each step a convolution, a
// channel LayerNorm and a GELU, then a 1x1 convolution to the image features' channels.
struct MaskDownSampler {
  struct Step {
    Conv2d conv;
    at::Tensor norm_weight, norm_bias;
  };
  std::vector<Step> steps;
  Conv2d project;

  MaskDownSampler(Weights& weights, const std::string& prefix, const VideoSizes& sizes, int64_t embed_dim,
                  int64_t total_stride);
  at::Tensor operator()(const at::Tensor& masks) const;
};

// A ConvNeXt block: depthwise 7x7 convolution, channel LayerNorm, pointwise MLP with GELU,
// layer scale, residual.
struct CXBlock {
  Conv2d dwconv;
  at::Tensor norm_weight, norm_bias;
  Linear pwconv1, pwconv2;
  at::Tensor gamma;

  CXBlock(Weights& weights, const std::string& prefix, int64_t dim);
  at::Tensor operator()(const at::Tensor& x) const;
};

class MemoryEncoder {
 public:
  MemoryEncoder(Weights& weights, const std::string& prefix, const VideoSizes& sizes, int64_t in_dim,
                int64_t total_stride);

  // pix_feat [B, C, h, w]; masks [B, 1, 16h, 16w], already through the sigmoid and its scale
  // -> [B, mem_dim, h, w].
  at::Tensor operator()(const at::Tensor& pix_feat, const at::Tensor& masks) const;

 private:
  MaskDownSampler mask_downsampler_;
  Conv2d pix_feat_proj_;
  std::vector<CXBlock> fuser_;
  Conv2d out_proj_;
};

}  // namespace sam
