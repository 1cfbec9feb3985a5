// SAM 2's image encoder as the image predictor runs it (SAM2ImagePredictor.set_image):
// Hiera trunk, FPN neck with the coarsest level dropped, the "no memory" embedding added to
// the lowest-resolution feature map, and the mask decoder's conv_s0 / conv_s1 applied ahead
// of time to the two high-resolution maps.
#pragma once
#include <memory>

#include "model/image_features.h"
#include "model/presets.h"
#include "model/weights.h"

namespace sam {

// Takes every tensor it needs from `weights` (under "image_encoder.", plus "no_mem_embed" and
// "sam_mask_decoder.conv_s0/conv_s1"); missing or misshapen ones are recorded there.
std::unique_ptr<ImageEncoder> make_sam2_image_encoder(Weights& weights, const Preset& preset);

}  // namespace sam
