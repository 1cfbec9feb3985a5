// SAM 2's feature pyramid neck (FpnNeck in sam2/modeling/backbones/image_encoder.py): a 1x1
// lateral convolution per trunk stage to d_model channels, and on the top-down levels the
// next-coarser level's output, upsampled 2x by nearest neighbour, added to the lateral.
// The sine position encodings it also returns are used only by video memory attention.
#pragma once
#include <ATen/ATen.h>

#include <string>
#include <vector>

#include "model/weights.h"
#include "sam2/hiera.h"

namespace sam {

class FpnNeck {
 public:
  // stage_channels: the trunk's channels per stage, highest resolution first.
  // top_down_levels: the levels (0 = highest resolution) that receive top-down features.
  FpnNeck(Weights& weights, const std::string& prefix, int d_model, const std::vector<int>& stage_channels,
          std::vector<int> top_down_levels);

  // Composes a 1x1 convolution (weight [out, d_model, 1, 1], bias [out]) after `level`'s
  // output: one small GEMM instead of two. Only for a level that is its lateral alone and
  // that no other level reads.
  void fold_output_conv(int level, const at::Tensor& weight, const at::Tensor& bias);

  // stages: channels-last [B, H, W, C] per stage, highest resolution first, each half the
  // size of the one before. Returns one channels-last output per level, same order.
  std::vector<at::Tensor> forward(const std::vector<at::Tensor>& stages) const;

 private:
  bool is_top_down(int level) const;

  std::vector<at::Tensor> lateral_weights_;  // per level: [out, C]
  std::vector<at::Tensor> lateral_biases_;
  std::vector<Linear> laterals_;             // the same, ready to run
  Compute compute_;
  std::vector<int> top_down_levels_;
};

}  // namespace sam
