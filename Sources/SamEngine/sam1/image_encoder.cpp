#include "sam1/image_encoder.h"

#include <c10/core/InferenceMode.h>

#include <string>

#include "engine_error.h"
#include "model/blas_threads.h"
#include "sam1/vit.h"

namespace sam {
namespace {

class Sam1ImageEncoder : public ImageEncoder {
 public:
  Sam1ImageEncoder(Weights& weights, const Preset& preset)
      : vit_(weights, "image_encoder.", preset.vit, preset.image_size, preset.d_model), image_size_(preset.image_size) {}

  ImageFeatures encode(const at::Tensor& image, bool) override {
    if (image.dim() != 4 || image.size(0) != 1 || image.size(1) != 3 || image.size(2) != image_size_ ||
        image.size(3) != image_size_)
      throw Error(SAM_ERROR_ARGUMENT, "SAM 1 image encoder: expected an image of shape [1, 3, " +
                                          std::to_string(image_size_) + ", " + std::to_string(image_size_) + "]");
    c10::InferenceMode inference;
    const SingleThreadedBlas blas;  // the ViT splits its GEMMs across ATen's threads itself
    ImageFeatures features;
    features.image_embed = vit_.forward(image);
    return features;
  }

 private:
  ImageEncoderVit vit_;
  int image_size_;
};

}  // namespace

std::unique_ptr<ImageEncoder> make_sam1_image_encoder(Weights& weights, const Preset& preset) {
  if (preset.family != Family::Sam1) throw Error(SAM_ERROR_INTERNAL, preset.name + " is not a SAM 1 preset");
  if (preset.vit.window_size <= 0 || preset.image_size % 16 != 0)
    throw Error(SAM_ERROR_INTERNAL, preset.name + ": invalid ViT preset");
  return std::make_unique<Sam1ImageEncoder>(weights, preset);
}

}  // namespace sam
