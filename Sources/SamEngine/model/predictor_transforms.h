// What the image predictor does differently per model family, between the original image and
// the model's square input frame: SAM 2 stretches the image to the square (SAM2Transforms),
// SAM 1 keeps its aspect ratio and pads (ResizeLongestSide, Sam.preprocess / postprocess_masks).
// Each family also sends boxes its own way and returns its low-resolution logits its own way.
#pragma once
#include <ATen/ATen.h>

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

namespace sam {

class PredictorTransforms {
 public:
  virtual ~PredictorTransforms() = default;

  // uint8 RGB, height x width x 3 -> the image encoder's input [1, 3, S, S] on `device`.
  virtual at::Tensor preprocess(const uint8_t* rgb, int32_t width, int32_t height, at::Device device) const = 0;

  // A point of a width x height image, in its pixels -> the same point in the input frame.
  virtual std::array<float, 2> to_frame(float x, float y, int32_t width, int32_t height) const = 0;

  // True: box corners go to the decoder as points labelled 2 and 3 ahead of the clicks, and a
  // padding point always closes the list (SAM2ImagePredictor). False: boxes take the prompt
  // encoder's box path after the clicks, padded only without a box (SamPredictor).
  virtual bool boxes_as_points() const = 0;

  // The low-resolution logits [M, L, L] as the family's predictor returns them.
  virtual at::Tensor returned_logits(const at::Tensor& low_res) const = 0;

  // One candidate's low-resolution logits (side x side floats) for a width x height image ->
  // a binary mask of out_width x out_height bytes (1 where the resized logit is above 0).
  virtual void threshold_mask(const float* logits, int64_t side, int32_t width, int32_t height, uint8_t* out,
                              int32_t out_width, int32_t out_height) const = 0;

  // One candidate's low-resolution logits as the map whose bilinear resize (align_corners
  // false) to the width x height image gives the family's full-size logits, for code that
  // thresholds them itself (the automatic mask generator): SAM 2 the logits as they are, SAM 1
  // their resize to the input frame cropped to the resized image, written into `scratch`.
  // A binary mask covering the width x height image (mask_width x mask_height bytes, nonzero
  // inside) -> the mask in the input frame, [1, 1, S, S] float 0 / 1 (the frame's padding 0).
  virtual at::Tensor frame_mask(const uint8_t* mask, int32_t mask_width, int32_t mask_height, int32_t width,
                                int32_t height) const = 0;

  virtual const float* resizable_logits(const float* logits, int64_t side, int32_t width, int32_t height,
                                        std::vector<float>& scratch, int64_t* map_height, int64_t* map_width) const = 0;
};

}  // namespace sam
