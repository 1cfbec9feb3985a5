// SAM 2's input and output transforms (sam2/utils/transforms.py SAM2Transforms, as
// SAM2ImagePredictor uses them): the image is stretched to the square input frame, with
// ImageNet statistics on [0, 1] pixels; prompt coordinates scale with it; masks are resized
// from the low-resolution logits straight to the requested size.
#pragma once
#include <memory>

#include "model/predictor_transforms.h"

namespace sam {

std::unique_ptr<PredictorTransforms> make_sam2_transforms(int64_t image_size);

}  // namespace sam
