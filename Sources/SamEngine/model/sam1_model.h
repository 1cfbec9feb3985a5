// SAM 1 assembled from a checkpoint (segment_anything/build_sam.py _build_sam): the ViT image
// encoder, the prompt encoder and the mask decoder with the sizes build_sam.py hard-codes.
#pragma once
#include <memory>

#include "model/presets.h"
#include "model/sam_model.h"
#include "model/weights.h"

namespace sam {

// Takes every tensor the predictor needs from `weights`; the caller runs weights.check_complete.
std::unique_ptr<SamModel> build_sam1_model(Weights& weights, const Preset& preset, at::Device device);

}  // namespace sam
