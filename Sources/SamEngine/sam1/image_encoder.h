// SAM 1's image encoder as SamPredictor runs it (Sam.image_encoder on the preprocessed image):
// the ViT with its neck. SAM 1 has no high-resolution features and no "no memory" embedding.
#pragma once
#include <memory>

#include "model/image_features.h"
#include "model/presets.h"
#include "model/weights.h"

namespace sam {

// Takes every tensor it needs from `weights` (under "image_encoder."); missing or misshapen
// ones are recorded there.
std::unique_ptr<ImageEncoder> make_sam1_image_encoder(Weights& weights, const Preset& preset);

}  // namespace sam
