// SAM 2 / 2.1 assembled from a checkpoint (sam2/build_sam.py + SAM2Base._build_sam_heads):
// the Hiera image encoder, the prompt encoder and the mask decoder with the sizes SAM2Base
// hard-codes. The video-only modules in the checkpoint are known and left unused.
#pragma once
#include <memory>

#include "model/presets.h"
#include "model/sam_model.h"
#include "model/weights.h"

namespace sam {

// Takes every tensor the image predictor needs from `weights` and marks the video-only ones
// as ignored; the caller runs weights.check_complete.
std::unique_ptr<SamModel> build_sam2_model(Weights& weights, const Preset& preset, at::Device device);

}  // namespace sam
