// An object's embedding: the image embedding averaged over the object's mask. Used to rank
// objects by likeness ("more like this"); the reference has no such function, so its parity
// test computes the same steps with NumPy from the reference's own image embedding.
#pragma once
#include <ATen/ATen.h>

#include <vector>

namespace sam {

// image_embed: [1, C, H, W] (the predictor's image embedding). frame_mask: [1, 1, S, S] floats
// of 0 / 1 in the model's input frame (PredictorTransforms::frame_mask). The mask is resized to
// the embedding's grid as the reference resizes masks (bilinear, antialiased, align_corners
// False); the cells' features are averaged with those weights and the mean scaled to length 1.
// Returns C floats; throws SAM_ERROR_ARGUMENT when the mask covers no cell.
std::vector<float> object_embedding(const at::Tensor& image_embed, const at::Tensor& frame_mask);

}  // namespace sam
