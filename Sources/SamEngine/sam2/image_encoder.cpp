#include "sam2/image_encoder.h"

#include <string>
#include <vector>

#include "engine_error.h"
#include "model/blas_threads.h"
#include "sam2/fpn_neck.h"
#include "sam2/hiera.h"

namespace sam {
namespace {

// Levels of the official configs that get top-down features (fpn_top_down_levels).
const std::vector<int> kTopDownLevels = {2, 3};
// The coarsest level is dropped after the neck (scalp: 1).
constexpr int kScalp = 1;

at::Tensor channels_first(const at::Tensor& x) { return x.permute({0, 3, 1, 2}).contiguous(); }

class Sam2ImageEncoder : public ImageEncoder {
 public:
  Sam2ImageEncoder(Weights& weights, const Preset& preset)
      : trunk_(weights, "image_encoder.trunk.", preset.hiera),
        neck_(weights, "image_encoder.neck.", preset.d_model, trunk_.stage_channels(), kTopDownLevels),
        image_size_(preset.image_size) {
    const auto& expected = preset.hiera.backbone_channel_list;  // deepest first
    const auto& channels = trunk_.stage_channels();
    for (size_t i = 0; i < channels.size(); ++i) {
      if (channels.size() != expected.size() || channels[i] != expected[expected.size() - 1 - i])
        throw Error(SAM_ERROR_MODEL, preset.name + ": the Hiera stage widths do not match the neck's channel list");
    }
    const int d = preset.d_model;
    no_mem_embed_ = weights.get("no_mem_embed", {1, 1, d}).view({d});
    if (preset.use_high_res_features) {
      // Precomputing conv_s0 / conv_s1 here is what SAM2Base.forward_image does; they are
      // linear maps on lateral-only levels, so they fold into the lateral convolutions.
      neck_.fold_output_conv(0, weights.get("sam_mask_decoder.conv_s0.weight", {d / 8, d, 1, 1}),
                             weights.get("sam_mask_decoder.conv_s0.bias", {d / 8}));
      neck_.fold_output_conv(1, weights.get("sam_mask_decoder.conv_s1.weight", {d / 4, d, 1, 1}),
                             weights.get("sam_mask_decoder.conv_s1.bias", {d / 4}));
    }
  }

  ImageFeatures encode(const at::Tensor& image, bool for_tracking) override {
    if (image.dim() != 4 || image.size(0) != 1 || image.size(1) != 3 || image.size(2) != image_size_ ||
        image.size(3) != image_size_)
      throw Error(SAM_ERROR_ARGUMENT, "SAM 2 image encoder: expected an image of shape [1, 3, " +
                                          std::to_string(image_size_) + ", " + std::to_string(image_size_) + "]");
    c10::InferenceMode inference;
    const SingleThreadedBlas blas;  // Hiera splits its GEMMs across ATen's threads itself
    std::vector<at::Tensor> levels = neck_.forward(trunk_.forward(image));
    levels.resize(levels.size() - kScalp);

    ImageFeatures features;
    at::Tensor& lowest = levels.back();
    if (!for_tracking) lowest.add_(no_mem_embed_);
    features.image_embed = channels_first(lowest);
    for (size_t i = 0; i + 1 < levels.size(); ++i) features.high_res.push_back(channels_first(levels[i]));
    return features;
  }

 private:
  Hiera trunk_;
  FpnNeck neck_;
  int image_size_;
  at::Tensor no_mem_embed_;
};

}  // namespace

std::unique_ptr<ImageEncoder> make_sam2_image_encoder(Weights& weights, const Preset& preset) {
  if (preset.family != Family::Sam2)
    throw Error(SAM_ERROR_INTERNAL, preset.name + " is not a SAM 2 preset");
  return std::make_unique<Sam2ImageEncoder>(weights, preset);
}

}  // namespace sam
