// What an image encoder hands the mask decoder: computed once per image in set_image.
#pragma once
#include <ATen/ATen.h>

#include <memory>
#include <vector>

namespace sam {

struct ImageFeatures {
  at::Tensor image_embed;            // [1, d_model, 64, 64]; SAM 2: no_mem_embed already added
  std::vector<at::Tensor> high_res;  // SAM 2: {s0 [1, d_model/8, 256, 256], s1 [1, d_model/4, 128, 128]}
                                     // after the decoder's conv_s0 / conv_s1; SAM 1: empty
};

// Takes the preprocessed image [1, 3, image_size, image_size] (resized and normalised).
class ImageEncoder {
 public:
  virtual ~ImageEncoder() = default;
  // for_tracking (SAM 2): image_embed is the lowest level as the backbone returns it, without
  // no_mem_embed, which video tracking adds only on frames without memories.
  virtual ImageFeatures encode(const at::Tensor& image, bool for_tracking = false) = 0;
};

}  // namespace sam
