#include "sam2/fpn_neck.h"

#include <algorithm>

#include "engine_error.h"

namespace sam {

FpnNeck::FpnNeck(Weights& weights, const std::string& prefix, int d_model, const std::vector<int>& stage_channels,
                 std::vector<int> top_down_levels)
    : top_down_levels_(std::move(top_down_levels)), compute_(weights.compute()) {
  const int levels = static_cast<int>(stage_channels.size());
  for (int level = 0; level < levels; ++level) {
    // The reference numbers its convolutions from the coarsest level.
    const std::string name = prefix + "convs." + std::to_string(levels - 1 - level) + ".conv.";
    const int channels = stage_channels[level];
    lateral_weights_.push_back(weights.get(name + "weight", {d_model, channels, 1, 1}).view({d_model, channels}));
    lateral_biases_.push_back(weights.get(name + "bias", {d_model}));
    laterals_.emplace_back(lateral_weights_.back(), lateral_biases_.back(), compute_);
  }
}

bool FpnNeck::is_top_down(int level) const {
  return std::find(top_down_levels_.begin(), top_down_levels_.end(), level) != top_down_levels_.end();
}

void FpnNeck::fold_output_conv(int level, const at::Tensor& weight, const at::Tensor& bias) {
  const int levels = static_cast<int>(lateral_weights_.size());
  const bool receives = is_top_down(level) && level + 1 < levels;
  const bool is_read = level > 0 && is_top_down(level - 1);
  if (level < 0 || level >= levels || receives || is_read)
    throw Error(SAM_ERROR_INTERNAL, "FpnNeck: cannot fold a convolution into level " + std::to_string(level));
  // Composed in double so that folding adds no rounding beyond the final float32 cast.
  const at::Tensor outer = weight.view({weight.size(0), weight.size(1)}).to(at::kDouble);
  const at::Tensor& inner_weight = lateral_weights_[level];
  const at::Tensor& inner_bias = lateral_biases_[level];
  lateral_weights_[level] = at::mm(outer, inner_weight.to(at::kDouble)).to(inner_weight.scalar_type());
  lateral_biases_[level] =
      (at::mv(outer, inner_bias.to(at::kDouble)) + bias.to(at::kDouble)).to(inner_bias.scalar_type());
  laterals_[level] = Linear(lateral_weights_[level], lateral_biases_[level], compute_);
}

std::vector<at::Tensor> FpnNeck::forward(const std::vector<at::Tensor>& stages) const {
  const int levels = static_cast<int>(lateral_weights_.size());
  if (static_cast<int>(stages.size()) != levels)
    throw Error(SAM_ERROR_INTERNAL, "FpnNeck: expected " + std::to_string(levels) + " trunk stages");
  std::vector<at::Tensor> out(levels);
  at::Tensor coarser;
  // From the coarsest level to the finest, as each level's top-down input is the one above.
  for (int level = levels - 1; level >= 0; --level) {
    at::Tensor lateral = laterals_[level](stages[level]);
    if (coarser.defined() && is_top_down(level)) {
      const int64_t batch = lateral.size(0), height = lateral.size(1), width = lateral.size(2);
      const int64_t channels = lateral.size(3);
      if (height != 2 * coarser.size(1) || width != 2 * coarser.size(2))
        throw Error(SAM_ERROR_ARGUMENT, "FpnNeck: level " + std::to_string(level) +
                                            " is not twice the size of the level above it");
      // Nearest-neighbour 2x upsampling is a broadcast over 2x2 blocks.
      lateral.view({batch, height / 2, 2, width / 2, 2, channels})
          .add_(coarser.view({batch, height / 2, 1, width / 2, 1, channels}));
    }
    coarser = lateral;
    out[level] = lateral;
  }
  return out;
}

}  // namespace sam
